using System.Text;
using System.Text.RegularExpressions;
using ExportAudit.Diagnostics;

namespace ExportAudit.Ingest.Patch;

/// <summary>
/// Reads patches: git format-patch files, mboxes of a series, single mails, plain unified diffs (diff -u, git
/// diff). Each mail is one patch; each file diff in it one <see cref="FilePatch"/>. A hunk whose line counts do
/// not match its @@ header, or a header that cannot be parsed, is one error with the patch file's line — that
/// file's changes are dropped (half a file's hunks would give a wrong export diff) and the rest is read.
/// </summary>
public static partial class PatchReader
{
    /// <summary>Largest patch file read (a whole-tree diff of a kernel release is ~100 MB).</summary>
    public const long MaxBytes = 512L << 20;

    public static IReadOnlyList<Patch> ReadFile(string path, InputErrors errors)
    {
        try
        {
            using var bytes = FileBytes.Open(path, MaxBytes);
            return Read(path, bytes.Span, errors);
        }
        catch (InputException e)
        {
            errors.Add(e.Error);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Error(path, null, e.Message);
        }
        return [];
    }

    public static IReadOnlyList<Patch> Read(string path, ReadOnlySpan<byte> data, InputErrors errors)
    {
        var head = data[..Math.Min(data.Length, 8192)];
        if (head.IndexOf((byte)0) >= 0)
        {
            var nul = head.IndexOf((byte)0);
            errors.Add(new InputError(path, null, nul, "binary data (a NUL byte), not a patch or mbox"));
            return [];
        }
        var text = Encoding.UTF8.GetString(data);
        var mails = MailReader.Split(text);
        var patches = new List<Patch>();
        var fileName = path == "-" ? "<stdin>" : Path.GetFileName(path);
        for (var m = 0; m < mails.Count; m++)
        {
            var mail = mails[m];
            var subject = mail.Headers.TryGetValue("subject", out var s) ? MailReader.DecodeWords(s) : null;
            var from = mail.Headers.TryGetValue("from", out var f) ? MailReader.DecodeWords(f) : null;
            var files = ParseDiff(path, mail.Body, errors, out var sawDiff);
            var index = subject is not null && SeriesNumber().Match(subject) is { Success: true } n && int.TryParse(n.Groups[1].Value, out var number) ? number : m + 1;
            var name = mails.Count == 1 ? fileName : $"{fileName} #{m + 1}";
            if (!sawDiff && mail.Headers.Count == 0)
            {
                errors.Error(path, null, "no unified diff found (expected 'diff --git', '--- a/FILE' and '+++ b/FILE', then @@ hunks)");
                continue;
            }
            patches.Add(new Patch(path, name, index, subject, from, mail.Headers.GetValueOrDefault("message-id"), mail.StartLine, files));
        }
        return patches;
    }

    private enum State { Outside, FileHeader, Hunk }

    private static List<FilePatch> ParseDiff(string path, IReadOnlyList<SourceLine> lines, InputErrors errors, out bool sawDiff)
    {
        var files = new List<FilePatch>();
        sawDiff = false;
        string? gitOld = null, gitNew = null, oldPath = null, newPath = null;
        var isGit = false;
        var created = false;
        var deleted = false;
        var fileLine = 0;
        var hunks = new List<Hunk>();
        var broken = false;

        void Flush()
        {
            if (fileLine != 0 && !broken && (oldPath is not null || newPath is not null || gitOld is not null))
            {
                var o = created ? null : oldPath ?? gitOld;
                var n = deleted ? null : newPath ?? gitNew;
                if (o is not null || n is not null)
                {
                    files.Add(new FilePatch(o, n, fileLine, hunks.ToArray()));
                }
            }
            gitOld = gitNew = oldPath = newPath = null;
            isGit = created = deleted = broken = false;
            fileLine = 0;
            hunks.Clear();
        }

        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].Text;
            if (line.StartsWith("diff --git ", StringComparison.Ordinal))
            {
                Flush();
                sawDiff = true;
                isGit = true;
                fileLine = lines[i].FileLine;
                (gitOld, gitNew) = GitPaths(line["diff --git ".Length..]);
                continue;
            }
            if (fileLine != 0 && isGit && hunks.Count == 0 && oldPath is null)
            {
                if (line.StartsWith("new file mode", StringComparison.Ordinal)) { created = true; continue; }
                if (line.StartsWith("deleted file mode", StringComparison.Ordinal)) { deleted = true; continue; }
                if (line.StartsWith("rename from ", StringComparison.Ordinal)) { gitOld = line["rename from ".Length..]; continue; }
                if (line.StartsWith("rename to ", StringComparison.Ordinal)) { gitNew = line["rename to ".Length..]; continue; }
                if (line.StartsWith("copy from ", StringComparison.Ordinal)) { gitOld = line["copy from ".Length..]; continue; }
                if (line.StartsWith("copy to ", StringComparison.Ordinal)) { gitNew = line["copy to ".Length..]; continue; }
            }
            if (line.StartsWith("--- ", StringComparison.Ordinal) && i + 1 < lines.Count && lines[i + 1].Text.StartsWith("+++ ", StringComparison.Ordinal))
            {
                if (!isGit || hunks.Count > 0 || oldPath is not null)
                {
                    Flush();
                    fileLine = lines[i].FileLine;
                }
                sawDiff = true;
                oldPath = StripPath(line[4..], isGit);
                newPath = StripPath(lines[i + 1].Text[4..], isGit);
                created |= oldPath is null;
                deleted |= newPath is null;
                i++;
                continue;
            }
            if (line.StartsWith("@@ ", StringComparison.Ordinal) && fileLine != 0)
            {
                var header = HunkHeader().Match(line);
                if (!header.Success)
                {
                    errors.Error(path, lines[i].FileLine, $"malformed hunk header '{Clip(line)}' in the diff of {oldPath ?? newPath ?? gitNew}; that file's changes are skipped");
                    broken = true;
                    continue;
                }
                var oldStart = int.Parse(header.Groups[1].Value);
                var oldCount = header.Groups[2].Success ? int.Parse(header.Groups[2].Value) : 1;
                var newStart = int.Parse(header.Groups[3].Value);
                var newCount = header.Groups[4].Success ? int.Parse(header.Groups[4].Value) : 1;
                var hunkLines = new List<HunkLine>();
                int o = oldStart, n = newStart, seenOld = 0, seenNew = 0;
                var at = i;
                while ((seenOld < oldCount || seenNew < newCount) && i + 1 < lines.Count)
                {
                    var next = lines[i + 1].Text;
                    var kind = next.Length == 0 ? ' ' : next[0]; // a blank line is context whose space a mailer stripped
                    if (kind == '\\')
                    {
                        i++;
                        continue; // "\ No newline at end of file"
                    }
                    if (kind is not (' ' or '-' or '+'))
                    {
                        break;
                    }
                    if ((kind != '+' && seenOld >= oldCount) || (kind != '-' && seenNew >= newCount))
                    {
                        break;
                    }
                    i++;
                    var body = next.Length == 0 ? "" : next[1..];
                    switch (kind)
                    {
                        case ' ': hunkLines.Add(new HunkLine(' ', body, o++, n++)); seenOld++; seenNew++; break;
                        case '-': hunkLines.Add(new HunkLine('-', body, o++, null)); seenOld++; break;
                        default: hunkLines.Add(new HunkLine('+', body, null, n++)); seenNew++; break;
                    }
                }
                if (seenOld != oldCount || seenNew != newCount)
                {
                    errors.Error(path, lines[at].FileLine,
                        $"hunk {line[..(line.IndexOf("@@", 2, StringComparison.Ordinal) + 2)]} of {newPath ?? oldPath ?? gitNew} ends after {seenOld} old and {seenNew} new lines, not {oldCount} and {newCount} (a damaged or hand-edited patch); that file's changes are skipped");
                    broken = true;
                    continue;
                }
                while (i + 1 < lines.Count && lines[i + 1].Text.StartsWith('\\'))
                {
                    i++;
                }
                hunks.Add(new Hunk(oldStart, oldCount, newStart, newCount, lines[at].FileLine, hunkLines));
                continue;
            }
            if (line == "-- " && hunks.Count > 0)
            {
                Flush(); // the mail signature git format-patch ends with
            }
        }
        Flush();
        return files;
    }

    private static (string? Old, string? New) GitPaths(string rest)
    {
        // "a/x b/x": with spaces in names ambiguous; the ---/+++ lines or rename lines settle it later.
        var match = GitDiffPaths().Match(rest);
        return match.Success ? (match.Groups[1].Value, match.Groups[2].Value) : (null, null);
    }

    private static string? StripPath(string value, bool isGit)
    {
        var tab = value.IndexOf('\t');
        if (tab >= 0) value = value[..tab]; // diff -u appends a timestamp after a tab
        value = value.Trim();
        if (value.StartsWith('"') && value.EndsWith('"') && value.Length >= 2) value = value[1..^1];
        if (value == "/dev/null") return null;
        // -p1, as `patch -p1` and git apply: "a/mm/hmm.c", "linux-4.19.orig/mm/hmm.c".
        var slash = value.IndexOf('/');
        return slash > 0 && (isGit || !value.StartsWith('/')) ? value[(slash + 1)..] : value;
    }

    private static string Clip(string text) => text.Length > 80 ? text[..80] + "..." : text;

    // [0-9], not \d: .NET's \d takes any Unicode digit ('߀', U+07C0, found by fuzzing), which int.Parse then refuses;
    // patch(1) reads ASCII digits only.
    [GeneratedRegex(@"^@@ -([0-9]{1,9})(?:,([0-9]{1,9}))? \+([0-9]{1,9})(?:,([0-9]{1,9}))? @@")]
    private static partial Regex HunkHeader();

    [GeneratedRegex(@"^(?:""?a/)(.+?)""? (?:""?b/)(.+?)""?$")]
    private static partial Regex GitDiffPaths();

    [GeneratedRegex(@"\[[^\]]*?(?<![0-9])([0-9]{1,9})/[0-9]+\]")]
    private static partial Regex SeriesNumber();
}
