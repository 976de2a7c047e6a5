using ExportAudit.Diagnostics;
using ExportAudit.Ingest;
using ExportAudit.Tests.Support;

namespace ExportAudit.Tests.Ingest;

public class FileBytesTests
{
    // Small files are read into a pooled buffer without asking their size, larger ones mapped: every size around
    // the 64 KiB boundary comes back whole.
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    [InlineData(65_537)]
    [InlineData(1_000_000)]
    public void EverySize_IsReadWhole(int size)
    {
        using var dir = new TempDir();
        var content = new byte[size];
        new Random(size).NextBytes(content);
        var path = Path.Combine(dir.Path, "f.bin");
        File.WriteAllBytes(path, content);
        using var bytes = FileBytes.Open(path, 1L << 30);
        Assert.Equal(size, bytes.Length);
        Assert.True(bytes.Span.SequenceEqual(content));
    }

    [Theory]
    [InlineData(100, 99)]
    [InlineData(70_000, 69_999)]
    [InlineData(70_000, 1_000)]
    public void AFileOverTheLimit_IsRefused_WithItsSize(int size, long limit)
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "big.bin");
        File.WriteAllBytes(path, new byte[size]);
        var e = Assert.Throws<InputException>(() => FileBytes.Open(path, limit));
        Assert.Contains($"file of {size:N0} bytes is larger than the {limit:N0}-byte limit", e.Message);
    }

    [Fact]
    public void AFileAtTheLimit_IsRead()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "exact.bin");
        File.WriteAllBytes(path, new byte[100]);
        using var bytes = FileBytes.Open(path, 100);
        Assert.Equal(100, bytes.Length);
    }

    // The libc way hands every failure to the .NET one, so what is wrong is said as before.
    [Fact]
    public void MissingFilesAndDirectories_FailAsDotNetSaysSo()
    {
        using var dir = new TempDir();
        Assert.Throws<FileNotFoundException>(() => FileBytes.Open(Path.Combine(dir.Path, "absent.c"), 1L << 30));
        Directory.CreateDirectory(Path.Combine(dir.Path, "d.c"));
        Assert.Throws<UnauthorizedAccessException>(() => FileBytes.Open(Path.Combine(dir.Path, "d.c"), 1L << 30));
    }

    [Fact]
    public void DisposingTwice_UnmapsOnce()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "m.bin");
        File.WriteAllBytes(path, Enumerable.Range(0, 200_000).Select(i => (byte)i).ToArray());
        var bytes = FileBytes.Open(path, 1L << 30);
        Assert.Equal(unchecked((byte)199_999), bytes.Span[199_999]);
        bytes.Dispose();
        bytes.Dispose();
    }

    [Fact]
    public void OnLinux_TheLibcWayIsTaken()
    {
        Assert.Equal(OperatingSystem.IsLinux() && Environment.Is64BitProcess, UnixFile.Usable);
        if (UnixFile.Usable)
        {
            using var dir = new TempDir();
            var path = Path.Combine(dir.Path, "u.c");
            File.WriteAllText(path, "int x;\n");
            var fd = UnixFile.Open(path);
            Assert.True(fd >= 0);
            var buffer = new byte[100];
            Assert.Equal(7, UnixFile.Read(fd, buffer, 0));
            Assert.Equal(7, UnixFile.Length(fd));
            UnixFile.Close(fd);
            Assert.True(UnixFile.Open(Path.Combine(dir.Path, "absent.c")) < 0);
        }
    }
}
