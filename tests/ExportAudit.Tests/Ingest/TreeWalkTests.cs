using ExportAudit.Ingest;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Ingest;

/// <summary>The walk's order is the ordinal order of the full paths, though it sorts only each directory's names.</summary>
public class TreeWalkTests
{
    private static string[] Expected(string root, Func<string, bool> keep) =>
        [.. Directory.EnumerateFiles(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Where(p => keep(Path.GetFileName(p))).Order(StringComparer.Ordinal)];

    [Fact]
    public void NamesThatSortAroundTheSlash_ComeInOrdinalPathOrder()
    {
        using var dir = new TempDir();
        // '-' and '.' sort before '/', '0' and letters after it: "a-b/x.c" < "a.c" < "a/b.c" < "a0.c".
        foreach (var file in new[] { "a.c", "a-b/x.c", "a/b.c", "a/a/z.c", "a0.c", "ab/c.h", "ab.h", "b/Makefile", "b/skip.txt", "A.S", "a_/q.c", "a/b/c/d/e.c" })
        {
            dir.Write(file, "x");
        }
        Directory.CreateDirectory(Path.Combine(dir.Path, "empty"));
        File.CreateSymbolicLink(Path.Combine(dir.Path, "link.c"), Path.Combine(dir.Path, "a.c"));
        Directory.CreateSymbolicLink(Path.Combine(dir.Path, "linkdir"), Path.Combine(dir.Path, "a"));
        bool Keep(string name) => !name.EndsWith(".txt", StringComparison.Ordinal);
        foreach (var jobs in new[] { 1, 2, 4 })
        {
            var files = TreeWalk.Files(dir.Path, name => Keep(name.ToString()), jobs);
            Assert.Equal(Expected(dir.Path, Keep), files);
        }
        Assert.DoesNotContain(TreeWalk.Files(dir.Path, _ => true, 2), p => p.Contains("link", StringComparison.Ordinal)); // links are not followed
    }

    [Fact]
    public void RandomTrees_TheSameAsSortingEveryPath()
    {
        var random = new Random(5);
        const string letters = "ab-._0A";
        for (var round = 0; round < 20; round++)
        {
            using var dir = new TempDir();
            for (var k = 0; k < 60; k++)
            {
                var depth = random.Next(1, 4);
                var parts = Enumerable.Range(0, depth).Select(_ => new string(Enumerable.Range(0, random.Next(1, 4)).Select(_ => letters[random.Next(letters.Length)]).ToArray()));
                var path = string.Join('/', parts) + (random.Next(2) == 0 ? ".c" : "");
                if (path.Split('/').Any(p => p is "." or ".."))
                {
                    continue;
                }
                try
                {
                    dir.Write(path, "x");
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // a file where a directory of that name was wanted, or the other way round
                }
            }
            Assert.Equal(Expected(dir.Path, _ => true), TreeWalk.Files(dir.Path, _ => true, 2));
        }
    }

    [Fact]
    public void AMissingRoot_IsNoFiles()
    {
        using var dir = new TempDir();
        Assert.Empty(TreeWalk.Files(Path.Combine(dir.Path, "absent"), _ => true, 2));
    }
}
