using Patron.Cli;

return await PatronCli.RunAsync(args);

/// <summary>The entry point, visible to tests.</summary>
public partial class Program;
