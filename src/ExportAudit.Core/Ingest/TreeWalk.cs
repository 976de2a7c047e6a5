using System.Collections.Concurrent;
using System.IO.Enumeration;

namespace ExportAudit.Ingest;

/// <summary>
/// The files of a directory tree that a predicate keeps, in ordinal path order, listed by several threads at once
/// (linux-source-6.1, warm, 2 threads: ~105 ms against ~145 ms for one recursive Directory.EnumerateFiles).
/// Symbolic links are not followed, unreadable directories are skipped, as Directory.EnumerateFiles with
/// IgnoreInaccessible does.
/// </summary>
public static class TreeWalk
{
    /// <summary>Whether a file of that name is listed (only its name: no path string is made for the others).</summary>
    public delegate bool NameFilter(ReadOnlySpan<char> fileName);

    // A file (no children) or a directory. A directory's path ends in '/', which no file's can.
    private sealed class Node(string path)
    {
        public string Path { get; } = path;

        public Node[]? Children { get; set; }
    }

    public static string[] Files(string root, NameFilter keep, int jobs)
    {
        var top = new Node(root) { Children = [] };
        var directories = new BlockingCollection<Node>(new ConcurrentStack<Node>());
        var pending = 1;
        var count = 0;
        directories.Add(top);
        var workers = Enumerable.Range(0, Math.Max(1, jobs)).Select(_ => Task.Run(() =>
        {
            foreach (var directory in directories.GetConsumingEnumerable())
            {
                var children = new List<Node>();
                var siblings = 0; // where the names start in the children's paths
                try
                {
                    // Strings: CoreLib has this enumerator precompiled, a (path, is-directory) tuple one is compiled at start-up.
                    var entries = new FileSystemEnumerable<string>(directory == top ? root : directory.Path[..^1], (ref FileSystemEntry e) =>
                        {
                            siblings = e.Directory.Length + (e.Directory.EndsWith('/') ? 0 : 1);
                            return e.IsDirectory ? Path.Join(e.Directory, e.FileName, "/") : Path.Join(e.Directory, e.FileName);
                        },
                        new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true })
                    {
                        ShouldIncludePredicate = (ref FileSystemEntry e) => e.IsDirectory || keep(e.FileName),
                    };
                    foreach (var path in entries)
                    {
                        var child = new Node(path);
                        children.Add(child);
                        if (path.EndsWith('/'))
                        {
                            child.Children = [];
                            Interlocked.Increment(ref pending);
                            directories.Add(child);
                        }
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Gone or unreadable while listed: as IgnoreInaccessible.
                }
                // Ordinal path order without sorting every path against every other (56,727 paths sharing a 90-character
                // root took 46-70 ms): the paths below a directory sort together, in the order of the names that follow
                // its path, a subdirectory's name with its '/'. So each directory's entries are sorted by name here,
                // and the walk below them at the end is the order.
                children.Sort((a, b) => string.CompareOrdinal(a.Path, siblings, b.Path, siblings, int.MaxValue));
                directory.Children = [.. children];
                Interlocked.Add(ref count, children.Count);
                if (Interlocked.Decrement(ref pending) == 0)
                {
                    directories.CompleteAdding();
                }
            }
        })).ToArray();
        Task.WaitAll(workers);
        var files = new List<string>(count);
        Collect(top, files);
        return [.. files];
    }

    private static void Collect(Node directory, List<string> into)
    {
        foreach (var child in directory.Children!)
        {
            if (child.Children is null)
            {
                into.Add(child.Path);
            }
            else
            {
                Collect(child, into);
            }
        }
    }
}
