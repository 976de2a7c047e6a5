using System.Text;
using ExportAudit.Ingest.Source;

namespace ExportAudit.Tests.Source;

public class NeedleSetTests
{
    private static readonly byte[][] ScanNames = [.. SourceScanner.Marks, .. new[] { "ALIAS_MV", "DECLARE_VM_GET_PAGE_PROT", "define_machine", "__cond_export_sym_0", "__cond_export_sym_1" }.Select(Encoding.ASCII.GetBytes)];

    // Every start of every needle, found the slow way, sorted.
    private static List<(int, int)> Naive(byte[] data, byte[][] needles)
    {
        var found = new List<(int, int)>();
        for (var i = 0; i < data.Length; i++)
        {
            for (var k = 0; k < needles.Length; k++)
            {
                if (data.AsSpan(i).StartsWith(needles[k])) found.Add((i, k));
            }
        }
        return found;
    }

    private static List<(int, int)> All(byte[] data, NeedleSet set, bool vectors = true)
    {
        var found = new List<(int At, int Needle)>();
        set.FindAll(data, found, vectors && System.Runtime.Intrinsics.X86.Avx2.IsSupported);
        return [.. found.Order()];
    }

    [Fact]
    public void FindsEveryNeedle_AcrossVectorBoundaries_InTheTail_AndAtTheEnds()
    {
        // Needles at every offset around 32- and 64-byte steps, touching the end, and near-misses (EXPORX, MODULE-).
        var text = new StringBuilder("EXPORT");
        for (var pad = 0; pad < 140; pad++)
        {
            text.Append(new string('x', pad % 67)).Append((pad % 4) switch { 0 => "MODULE_", 1 => "EXPORT_SYMBOL", 2 => "define_machin define_machine(", _ => "EXPORX MODULE- EXPOR ALIAS_M" });
        }
        text.Append("ALIAS_MV");
        var data = Encoding.ASCII.GetBytes(text.ToString());
        var set = new NeedleSet(ScanNames);
        for (var cut = data.Length - 80; cut <= data.Length; cut++)
        {
            var prefix = data[..cut];
            Assert.Equal(Naive(prefix, ScanNames), All(prefix, set));
            Assert.Equal(Naive(prefix, ScanNames), All(prefix, set, vectors: false));
        }
        Assert.Equal((0, 0), All(data, set)[0]);
        Assert.Equal((data.Length - "ALIAS_MV".Length, 2), All(data, set)[^1]);
    }

    [Fact]
    public void MatchesTheNaiveSearch_WithSharedBuckets_ShortNeedles_AndHighBytes()
    {
        // More needles than buckets (they share), needles shorter than the fingerprint, bytes above 0x7f, needles that
        // overlap themselves and each other; random text made of their bytes.
        var random = new Random(20261201);
        for (var round = 0; round < 300; round++)
        {
            var alphabet = "EXPORTMDUL_ab\n\x80\xff"u8.ToArray();
            var needles = Enumerable.Range(0, random.Next(1, 13))
                .Select(_ => Enumerable.Range(0, random.Next(1, 8)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray())
                .Concat(round % 2 == 0 ? SourceScanner.Marks : [])
                .ToArray();
            var set = new NeedleSet(needles);
            var data = new byte[random.Next(0, 300)];
            for (var i = 0; i < data.Length; i++) data[i] = alphabet[random.Next(alphabet.Length)];
            var expected = Naive(data, needles);
            Assert.Equal(expected, All(data, set));
            Assert.Equal(expected, All(data, set, vectors: false));
        }
    }

    [Fact]
    public void NoNeedle_FindsNothing_AndAnEmptySetFindsNothing()
    {
        var set = new NeedleSet(ScanNames);
        Assert.Empty(All(Encoding.ASCII.GetBytes(new string('E', 1000)), set));
        Assert.Empty(All([], set));
        Assert.Empty(All("EXPOR"u8.ToArray(), set));
        Assert.Empty(All("EXPORT"u8.ToArray(), new NeedleSet([])));
        Assert.Throws<ArgumentException>(() => new NeedleSet([[]]));
    }
}
