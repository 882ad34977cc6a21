using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Patron.Tests.Infrastructure;
using Shouldly;

namespace Patron.Tests.Architecture;

/// <summary>
/// Sizes a reader can take in at once (docs/ARCHITECTURE.md, Sizes): no method, constructor, accessor or local
/// function under src/ has a body over 70 lines, and no source file is over 500 lines. Bodies are measured on the
/// syntax tree (Roslyn), from the opening brace to the closing one, or over the whole of an expression body.
/// </summary>
public sealed class SourceSizeTests
{
    private const int MaxBodyLines = 70;
    private const int MaxFileLines = 500;

    [Fact]
    public void No_method_in_the_sources_has_a_body_over_70_lines()
    {
        var files = SourceFiles();
        files.Count.ShouldBeGreaterThan(100, "the sources were not found under " + Repository.File("src"));
        var tooLong = files
            .SelectMany(f => LongBodies(System.IO.File.ReadAllText(f), Path.GetRelativePath(Repository.Root, f)))
            .ToList();
        tooLong.ShouldBeEmpty($"a body over {MaxBodyLines} lines: split it where a reader would want it split");
    }

    [Fact]
    public void No_source_file_is_over_500_lines()
    {
        var files = SourceFiles();
        files.Count.ShouldBeGreaterThan(100);
        var tooLong = files
            .Select(f => (Path: Path.GetRelativePath(Repository.Root, f), Lines: System.IO.File.ReadAllLines(f).Length))
            .Where(f => f.Lines > MaxFileLines)
            .Select(f => $"{f.Path}: {f.Lines} lines")
            .ToList();
        tooLong.ShouldBeEmpty($"a source file over {MaxFileLines} lines");
    }

    [Fact]
    public void The_measure_finds_a_method_of_71_lines_and_passes_one_of_70()
    {
        LongBodies(Class(Method("Fits", 68)), "fits.cs").ShouldBeEmpty();
        // The body of the method opens on line 6, after the namespace, a blank line, the class and its brace.
        LongBodies(Class(Method("TooLong", 69)), "long.cs").ShouldHaveSingleItem().ShouldBe("long.cs:6 TooLong: 71 lines");
        LongBodies(Class("    int Count\n    {\n        get\n        {\n" + string.Concat(Enumerable.Repeat("            _ = 1;\n", 70))
            + "            return 1;\n        }\n    }\n"), "accessor.cs").ShouldHaveSingleItem().ShouldBe("accessor.cs:8 get: 73 lines");
    }

    private static string Method(string name, int statements) =>
        $"    void {name}()\n    {{\n" + string.Concat(Enumerable.Repeat("        _ = 1;\n", statements)) + "    }\n";

    private static string Class(string members) => "namespace N;\n\nclass C\n{\n" + members + "}\n";

    /// <summary>The C# files under src/, without build output.</summary>
    private static List<string> SourceFiles() =>
        [.. Directory.EnumerateFiles(Repository.File("src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(Repository.Root, f).Split(Path.DirectorySeparatorChar).Any(part => part is "obj" or "bin"))];

    /// <summary>Each body of <paramref name="source"/> over the limit, as <c>path:line name: n lines</c>.</summary>
    private static IEnumerable<string> LongBodies(string source, string path)
    {
        var tree = CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview));
        foreach (var node in tree.GetRoot().DescendantNodes())
        {
            var (name, body) = node switch
            {
                MethodDeclarationSyntax m => (m.Identifier.Text, (SyntaxNode?)m.Body ?? m.ExpressionBody),
                ConstructorDeclarationSyntax c => (c.Identifier.Text, (SyntaxNode?)c.Body ?? c.ExpressionBody),
                OperatorDeclarationSyntax o => (o.OperatorToken.Text, (SyntaxNode?)o.Body ?? o.ExpressionBody),
                AccessorDeclarationSyntax a => (a.Keyword.Text, (SyntaxNode?)a.Body ?? a.ExpressionBody),
                LocalFunctionStatementSyntax f => (f.Identifier.Text, (SyntaxNode?)f.Body ?? f.ExpressionBody),
                _ => ("", null),
            };
            if (body is null)
            {
                continue;
            }
            var span = tree.GetLineSpan(body.Span);
            var lines = span.EndLinePosition.Line - span.StartLinePosition.Line + 1;
            if (lines > MaxBodyLines)
            {
                yield return $"{path}:{span.StartLinePosition.Line + 1} {name}: {lines} lines";
            }
        }
    }
}
