using Patron.Cli;
using Patron.Storage;

NativeAllocator.TuneAllocator();
return await PatronCli.RunAsync(args);

/// <summary>The entry point, visible to tests.</summary>
public partial class Program;
