using System.Text;
using ExportAudit.Ingest.Patch;

namespace ExportAudit.Review;

/// <summary>
/// The tree a series applies to, with the patches applied in memory: the tree on disk is only read, never
/// written, and nothing in it runs. Hunks are placed as `patch` does: at the line the header says, else at the
/// nearest offset where the context and removed lines match exactly (no fuzz: a mis-applied hunk would
/// invent exports).
/// </summary>
public sealed class PatchedTree(string root)
{
    private readonly Dictionary<string, string[]?> _overlay = new(StringComparer.Ordinal); // null: deleted by a patch

    public string Root { get; } = root;

    /// <summary>Files a patch changed, as they are now.</summary>
    public IReadOnlyCollection<string> ChangedFiles => _overlay.Keys;

    public bool TryGetOverlay(string path, out string[]? lines) => _overlay.TryGetValue(path, out lines);

    /// <summary>The file as the patches so far leave it; null when it does not exist.</summary>
    public string[]? Lines(string path)
    {
        if (_overlay.TryGetValue(path, out var lines))
        {
            return lines;
        }
        var full = FullPath(path);
        if (full is null || !File.Exists(full))
        {
            return null;
        }
        var text = File.ReadAllText(full);
        var split = text.Split('\n');
        return text.EndsWith('\n') ? split[..^1] : split;
    }

    public static byte[] Join(string[] lines) => Encoding.UTF8.GetBytes(lines.Length == 0 ? "" : string.Join('\n', lines) + "\n");

    /// <summary>A path of the patch inside the tree; null for absolute paths and ones that climb out with "..".</summary>
    public string? FullPath(string path)
    {
        if (Path.IsPathRooted(path) || path.Split('/').Contains(".."))
        {
            return null;
        }
        return Path.Combine(Root, path);
    }

    /// <summary>Applies one file's hunks; on failure leaves the tree as it was and says why.</summary>
    public bool TryApply(FilePatch file, out string? problem)
    {
        problem = null;
        var path = file.OldPath ?? file.NewPath!;
        if (FullPath(path) is null || file.NewPath is not null && FullPath(file.NewPath) is null)
        {
            problem = $"{path}: the path leaves the tree";
            return false;
        }
        var old = file.OldPath is null ? [] : Lines(file.OldPath);
        if (old is null)
        {
            problem = $"{file.OldPath}: not in {Root}";
            return false;
        }
        var result = new List<string>(old.Length + 16);
        var at = 0; // next old line not yet copied
        var offset = 0;
        foreach (var hunk in file.Hunks)
        {
            var expected = hunk.Lines.Where(l => l.Kind != '+').Select(l => l.Text).ToArray();
            var want = Math.Max(0, (hunk.OldCount == 0 ? hunk.OldStart : hunk.OldStart - 1) + offset);
            var place = Find(old, expected, want, at);
            if (place < 0)
            {
                problem = $"{path}: hunk {hunk.Header} does not apply (its context is not at line {hunk.OldStart} or near it)";
                return false;
            }
            offset = place - (hunk.OldCount == 0 ? hunk.OldStart : hunk.OldStart - 1);
            result.AddRange(old[at..place]);
            result.AddRange(hunk.Lines.Where(l => l.Kind != '-').Select(l => l.Text));
            at = place + expected.Length;
        }
        result.AddRange(old[at..]);
        if (file.NewPath is null)
        {
            _overlay[path] = null;
        }
        else
        {
            if (file.OldPath is not null && file.OldPath != file.NewPath)
            {
                _overlay[file.OldPath] = null; // renamed
            }
            _overlay[file.NewPath] = result.ToArray();
        }
        return true;
    }

    // The nearest position to `want` (at or after `from`) where `expected` matches, searching outward.
    private static int Find(string[] lines, string[] expected, int want, int from)
    {
        for (var distance = 0; distance <= lines.Length; distance++)
        {
            foreach (var candidate in (int[])[want - distance, want + distance])
            {
                if (candidate >= from && candidate + expected.Length <= lines.Length && Matches(lines, expected, candidate))
                {
                    return candidate;
                }
            }
            if (want - distance < from && want + distance + expected.Length > lines.Length)
            {
                break;
            }
        }
        return -1;
    }

    private static bool Matches(string[] lines, string[] expected, int at)
    {
        for (var k = 0; k < expected.Length; k++)
        {
            if (!string.Equals(lines[at + k].TrimEnd('\r'), expected[k], StringComparison.Ordinal))
            {
                return false;
            }
        }
        return true;
    }
}
