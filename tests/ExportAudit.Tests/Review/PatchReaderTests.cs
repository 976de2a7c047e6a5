using System.Text;
using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Patch;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Review;

/// <summary>Real mail: folded headers, encoded words, MIME parts, quoted-printable and base64 bodies, CRLF, series, damage.</summary>
public class PatchReaderTests
{
    private const string Diff =
        "diff --git a/kernel/foo.c b/kernel/foo.c\n" +
        "index 1111111..2222222 100644\n" +
        "--- a/kernel/foo.c\n" +
        "+++ b/kernel/foo.c\n" +
        "@@ -10,3 +10,3 @@ int foo(void)\n" +
        " \treturn 0;\n" +
        " }\n" +
        "-EXPORT_SYMBOL(foo);\n" +
        "+EXPORT_SYMBOL_GPL(foo);\n";

    private static (IReadOnlyList<Patch> Patches, IReadOnlyList<InputError> Errors) Read(string text)
    {
        var errors = new InputErrors();
        var patches = PatchReader.Read("test.mbox", Encoding.UTF8.GetBytes(text), errors);
        return (patches, errors.Snapshot());
    }

    private static string Mail(int n, int of, string body, string extraHeaders = "") =>
        $"From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: A Developer <dev@example.org>\nDate: Tue, 20 Nov 2018 12:00:00 -0800\n" +
        $"Subject: [PATCH {n}/{of}] kernel: change {n}\n{extraHeaders}\nmessage {n}\n---\n{body}-- \n2.39.5\n\n";

    [Fact]
    public void Mbox_ThreePatches_EachWithItsSubjectIndexAndHunk()
    {
        var (patches, errors) = Read(Mail(1, 3, Diff) + Mail(2, 3, Diff.Replace("foo", "bar")) + Mail(3, 3, Diff.Replace("foo", "baz")));
        Assert.Empty(errors);
        Assert.Equal([1, 2, 3], patches.Select(p => p.Index));
        Assert.Equal(["[PATCH 1/3] kernel: change 1", "[PATCH 2/3] kernel: change 2", "[PATCH 3/3] kernel: change 3"], patches.Select(p => p.Subject));
        Assert.Equal(["test.mbox #1", "test.mbox #2", "test.mbox #3"], patches.Select(p => p.Name));
        var hunk = patches[1].Files.Single().Hunks.Single();
        Assert.Equal("kernel/bar.c", patches[1].Files.Single().Path);
        Assert.Equal((10, 3, 10, 3), (hunk.OldStart, hunk.OldCount, hunk.NewStart, hunk.NewCount));
        Assert.Equal([(' ', 10, 10), (' ', 11, 11), ('-', 12, 0), ('+', 0, 12)], hunk.Lines.Select(l => (l.Kind, l.OldLine ?? 0, l.NewLine ?? 0)));
        Assert.Equal(31, hunk.PatchLine); // the second mail's @@ line in the mbox
    }

    [Fact]
    public void FoldedAndEncodedHeaders_AreUnfoldedAndDecoded()
    {
        var mail = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n" +
                   "From: =?UTF-8?q?J=C3=B6rg=20R=C3=B6del?= <joerg@example.org>\n" +
                   "Subject: [PATCH v2 2/5] mm, hmm: mark hmm_devmem_{add,\n add_resource} EXPORT_SYMBOL_GPL\n" +
                   "Message-Id: <20181120.2@example.org>\n\nbody\n---\n" + Diff;
        var patch = Read(mail).Patches.Single();
        Assert.Equal("[PATCH v2 2/5] mm, hmm: mark hmm_devmem_{add, add_resource} EXPORT_SYMBOL_GPL", patch.Subject);
        Assert.Equal("Jörg Rödel <joerg@example.org>", patch.From);
        Assert.Equal(2, patch.Index);
        Assert.Equal("<20181120.2@example.org>", patch.MessageId);
    }

    [Fact]
    public void SeriesNumberTooLargeForAnInt_FallsBackToThePosition()
    {
        // Found by fuzzing: int.Parse overflowed on "[PATCH 99999999999/3]".
        var patch = Read(Mail(1, 3, Diff).Replace("[PATCH 1/3]", "[PATCH 99999999999/3]")).Patches.Single();
        Assert.Equal(1, patch.Index);
    }

    [Fact]
    public void Crlf_IsReadAsLf()
    {
        var (patches, errors) = Read(Mail(1, 1, Diff).Replace("\n", "\r\n"));
        Assert.Empty(errors);
        Assert.Equal("EXPORT_SYMBOL_GPL(foo);", patches.Single().Files.Single().Hunks.Single().Lines[^1].Text);
    }

    [Fact]
    public void QuotedPrintableBody_IsDecoded_SoftBreaksAndEscapes()
    {
        // As a mailer that re-encodes does it: '=' as =3D, long lines broken with soft breaks, tabs as =09.
        var qp = Diff.Replace("=", "=3D").Replace("\t", "=09").Replace("-EXPORT_SYMBOL(foo);", "-EXPORT_=\nSYMBOL(foo);");
        var mail = Mail(1, 1, "", "MIME-Version: 1.0\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n")
            .Replace("message 1\n---\n-- \n", "message 1\n---\n" + qp + "-- \n");
        var (patches, errors) = Read(mail);
        Assert.Empty(errors);
        var lines = patches.Single().Files.Single().Hunks.Single().Lines;
        Assert.Equal("\treturn 0;", lines[0].Text);
        Assert.Equal("EXPORT_SYMBOL(foo);", lines[2].Text);
    }

    [Fact]
    public void MultipartWithABase64Attachment_ThePatchIsTheAttachment()
    {
        var attachment = Convert.ToBase64String(Encoding.UTF8.GetBytes(Diff), Base64FormattingOptions.InsertLineBreaks);
        var mail = "From: dev@example.org\nSubject: [PATCH] kernel: foo is GPL-only now\nMIME-Version: 1.0\n" +
                   "Content-Type: multipart/mixed;\n boundary=\"==XYZ==\"\n\nThis is a MIME message.\n" +
                   "--==XYZ==\nContent-Type: text/plain\n\nPlease apply the attached patch.\n" +
                   "--==XYZ==\nContent-Type: text/html\n\n<p>@@ -1,1 +1,1 @@ not a patch</p>\n" +
                   "--==XYZ==\nContent-Type: application/octet-stream; name=\"0001-foo.patch\"\nContent-Disposition: attachment; filename=\"0001-foo.patch\"\n" +
                   "Content-Transfer-Encoding: base64\n\n" + attachment.Replace("\r\n", "\n") + "\n--==XYZ==--\n";
        var (patches, errors) = Read(mail);
        Assert.Empty(errors);
        var file = patches.Single().Files.Single();
        Assert.Equal("kernel/foo.c", file.Path);
        Assert.Equal("EXPORT_SYMBOL_GPL(foo);", file.Hunks.Single().Lines[^1].Text);
    }

    [Fact]
    public void PlainUnifiedDiff_WithTimestamps_NewAndDeletedFiles_NoNewlineMarker()
    {
        var diff = "--- linux.orig/kernel/foo.c\t2018-11-20 12:00:00.000000000 -0800\n+++ linux/kernel/foo.c\t2018-11-20 12:01:00.000000000 -0800\n" +
                   "@@ -1 +1 @@\n-EXPORT_SYMBOL(foo);\n\\ No newline at end of file\n+EXPORT_SYMBOL_GPL(foo);\n\\ No newline at end of file\n" +
                   "--- /dev/null\n+++ linux/kernel/new.c\n@@ -0,0 +1,2 @@\n+int x;\n+EXPORT_SYMBOL(x);\n" +
                   "--- linux.orig/kernel/old.c\n+++ /dev/null\n@@ -1 +0,0 @@\n-EXPORT_SYMBOL(y);\n";
        var (patches, errors) = Read(diff);
        Assert.Empty(errors);
        var files = patches.Single().Files;
        Assert.Equal([("kernel/foo.c", "kernel/foo.c"), (null, "kernel/new.c"), ("kernel/old.c", null)], files.Select(f => (f.OldPath, f.NewPath)));
        Assert.Equal(2, files[0].Hunks.Single().Lines.Count);
        Assert.Null(patches.Single().Subject);
    }

    [Fact]
    public void DamagedHunk_OneErrorWithTheLine_TheOtherFilesAndPatchesStillRead()
    {
        var damaged = Diff.Replace("@@ -10,3 +10,3 @@", "@@ -10,5 +10,3 @@");
        var (patches, errors) = Read(Mail(1, 2, damaged + Diff.Replace("foo", "qux")) + Mail(2, 2, Diff.Replace("foo", "bar")));
        var error = Assert.Single(errors);
        Assert.Equal(12, error.Line);
        Assert.Contains("ends after 3 old and 3 new lines, not 5 and 3", error.Message);
        Assert.Equal(["kernel/qux.c"], patches[0].Files.Select(f => f.Path));
        Assert.Equal(["kernel/bar.c"], patches[1].Files.Select(f => f.Path));
    }

    [Theory]
    [InlineData("@@ -x,1 +1,1 @@\n-a\n+b\n", "malformed hunk header")]
    [InlineData("@@ -99999999999,1 +1,1 @@\n-a\n+b\n", "malformed hunk header")]
    [InlineData("@@ -1,1 +\u07C0,1 @@\n-a\n+b\n", "malformed hunk header")] // a Unicode digit (NKo zero), found by fuzzing
    [InlineData("@@ -\u0661,1 +1,1 @@\n-a\n+b\n", "malformed hunk header")] // Arabic-Indic one
    public void BadHunkHeaders_AreErrorsWithTheLine(string hunk, string message)
    {
        var (_, errors) = Read("--- a/x.c\n+++ b/x.c\n" + hunk);
        var error = Assert.Single(errors);
        Assert.Equal(3, error.Line);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void NotAPatch_AndBinaryJunk_AreOneLineErrors()
    {
        Assert.Contains("no unified diff found", Assert.Single(Read("just some text\nno diff here\n").Errors).Message);
        var errors = new InputErrors();
        Assert.Empty(PatchReader.Read("junk.bin", [0x7f, 0x45, 0x4c, 0x46, 0, 1, 2], errors));
        var error = Assert.Single(errors.Snapshot());
        Assert.Equal("junk.bin@4", error.Where);
    }

    [Fact]
    public void CoverLetter_IsAPatchWithoutFiles_NotAnError()
    {
        var cover = "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: dev@example.org\nSubject: [PATCH 0/1] the series\n\nWhy.\n\n-- \n2.39.5\n\n";
        var (patches, errors) = Read(cover + Mail(1, 1, Diff));
        Assert.Empty(errors);
        Assert.Equal([0, 1], patches.Select(p => p.Files.Count));
    }

    [Fact]
    public void GitRename_KeepsBothPaths()
    {
        var rename = "diff --git a/kernel/a.c b/kernel/b.c\nsimilarity index 90%\nrename from kernel/a.c\nrename to kernel/b.c\nindex 1..2 100644\n--- a/kernel/a.c\n+++ b/kernel/b.c\n@@ -1 +1 @@\n-EXPORT_SYMBOL(a);\n+EXPORT_SYMBOL(b);\n";
        var file = Read(rename).Patches.Single().Files.Single();
        Assert.Equal(("kernel/a.c", "kernel/b.c"), (file.OldPath, file.NewPath));
    }

    [Fact]
    public void CommandLine_AnUnreadablePatchIsExit2_AndTheOtherPatchIsStillReviewed()
    {
        using var dir = new TempDir();
        var good = dir.Write("good.patch", Mail(1, 1, Diff));
        var bad = dir.Write("bad.patch", Mail(1, 1, Diff.Replace("@@ -10,3 +10,3 @@", "@@ -10,9 +10,3 @@")));
        var r = Support.Cli.Run("review", good, bad, Path.Combine(dir.Path, "missing.patch"), "--format", "json");
        Assert.Equal(2, r.ExitCode);
        var lines = r.Stderr.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith($"exportaudit: {bad}:12: hunk @@ -10,9 +10,3 @@ of kernel/foo.c ends after", lines[0]);
        Assert.StartsWith($"exportaudit: {Path.Combine(dir.Path, "missing.patch")}: ", lines[1]);
        Assert.Contains("\"symbol\": \"foo\"", r.Stdout); // the good patch's change is reported
    }

    [Fact]
    public void GigabytePatch_IsRefusedWithoutBeingRead()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "huge.mbox");
        using (var huge = File.Create(path))
        {
            huge.SetLength(1L << 30); // sparse
        }
        var r = Support.Cli.Run("review", path);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"exportaudit: {path}: file of 1,073,741,824 bytes is larger than the 536,870,912-byte limit\n", r.Stderr);
    }
}
