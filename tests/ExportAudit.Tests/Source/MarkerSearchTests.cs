using System.Text;
using ExportAudit.Ingest.Source;

namespace ExportAudit.Tests.Source;

public class MarkerSearchTests
{
    // Every start of EXPORT or MODULE_, found the slow way.
    private static List<int> Naive(byte[] data)
    {
        var found = new List<int>();
        for (var i = 0; i < data.Length; i++)
        {
            if (data.AsSpan(i).StartsWith("EXPORT"u8) || data.AsSpan(i).StartsWith("MODULE_"u8)) found.Add(i);
        }
        return found;
    }

    private static List<int> All(byte[] data)
    {
        var found = new List<int>();
        for (var at = MarkerSearch.Next(data, 0); at >= 0; at = MarkerSearch.Next(data, at + 1)) found.Add(at);
        return found;
    }

    [Fact]
    public void FindsEveryNeedle_AcrossVectorBoundaries_InTheTail_AndAtTheEnds()
    {
        // Needles at every offset around 32- and 64-byte steps, touching the end, and near-misses (EXPORX, MODULE-).
        var text = new StringBuilder("EXPORT");
        for (var pad = 0; pad < 140; pad++)
        {
            text.Append(new string('x', pad % 67)).Append(pad % 3 == 0 ? "MODULE_" : pad % 3 == 1 ? "EXPORT_SYMBOL" : "EXPORX MODULE- EXPOR");
        }
        text.Append("MODULE_");
        var data = Encoding.ASCII.GetBytes(text.ToString());
        for (var cut = data.Length - 80; cut <= data.Length; cut++)
        {
            var prefix = data[..cut];
            Assert.Equal(Naive(prefix), All(prefix));
        }
        Assert.Equal(0, MarkerSearch.Next(data, 0));
        Assert.Equal(data.Length - "MODULE_".Length, All(data)[^1]);
    }

    [Fact]
    public void MatchesTheNaiveSearch_OnRandomText_MadeOfTheNeedlesLetters()
    {
        var random = new Random(20261201);
        var alphabet = "EXPORTMDUL_ \n"u8.ToArray();
        for (var round = 0; round < 200; round++)
        {
            var data = new byte[random.Next(0, 400)];
            for (var i = 0; i < data.Length; i++) data[i] = alphabet[random.Next(alphabet.Length)];
            if (data.Length > 10) "EXPORT"u8.CopyTo(data.AsSpan(random.Next(data.Length - 6)));
            Assert.Equal(Naive(data), All(data));
        }
    }

    [Fact]
    public void NoNeedle_IsMinusOne_AndFromPastTheEndIsMinusOne()
    {
        Assert.Equal(-1, MarkerSearch.Next(Encoding.ASCII.GetBytes(new string('E', 1000)), 0));
        Assert.Equal(-1, MarkerSearch.Next([], 0));
        Assert.Equal(-1, MarkerSearch.Next("EXPORT"u8, 1));
        Assert.Equal(-1, MarkerSearch.Next("EXPORT"u8, 100));
    }
}
