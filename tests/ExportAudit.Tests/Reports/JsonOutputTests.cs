using System.Text;
using System.Text.Json;
using ExportAudit.Reports;

namespace ExportAudit.Tests.Reports;

public class JsonOutputTests
{
    // ~1 MB of JSON in 64 KiB chunks: license strings with multi-byte characters land on chunk boundaries.
    private static void Document(Utf8JsonWriter w)
    {
        w.WriteStartArray();
        for (var i = 0; i < 20_000; i++)
        {
            w.WriteStartObject();
            w.WriteString("symbol", $"sym_{i}");
            w.WriteString("license", i % 3 == 0 ? "Dual MIT/GPL — ü ß 漢字 🙂" : "GPL");
            w.WriteEndObject();
            JsonOutput.FlushSome(w);
        }
        w.WriteEndArray();
    }

    private static string Whole()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            Document(w);
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    [Fact]
    public void Streamed_IntoATextWriter_IsTheWholeDocument()
    {
        var text = new StringWriter();
        text.Write("before:");
        JsonOutput.Write(text, relaxed: true, Document);
        Assert.Equal("before:" + Whole(), text.ToString());
    }

    [Fact]
    public void Streamed_AsBytesUnderAStreamWriter_IsTheWholeDocument_AfterWhatWasWrittenBefore()
    {
        using var stream = new MemoryStream();
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true))
        {
            writer.Write("before:");
            JsonOutput.Write(writer, relaxed: true, Document);
        }
        Assert.Equal("before:" + Whole(), Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public void AStreamWriterThatWritesABom_GetsTheBomFirst_AndTheDocumentWhole()
    {
        using var stream = new MemoryStream();
        using (var writer = new StreamWriter(stream, new UTF8Encoding(true), 1 << 16, leaveOpen: true))
        {
            JsonOutput.Write(writer, relaxed: true, Document);
        }
        var bytes = stream.ToArray();
        Assert.Equal(Encoding.UTF8.Preamble.ToArray(), bytes[..3]);
        Assert.Equal(Whole(), Encoding.UTF8.GetString(bytes[3..]));
    }
}
