using System.Text;
using System.Text.Json;

namespace ExportAudit.Reports;

/// <summary>What every JSON-based writer shares: an indented writer into a text output, and string arrays.</summary>
public static class JsonOutput
{
    /// <summary>How much JSON is held before it goes to the output (<see cref="FlushSome"/>).</summary>
    private const int Chunk = 64 * 1024;

    /// <summary>
    /// Writes one JSON document and a newline to <paramref name="output"/>, streamed: the writer's bytes go out in
    /// chunks (as bytes when the output is a <see cref="StreamWriter"/>, as the CLI's stdout is), never as one
    /// string. A source tree's report is ~12 MB; held whole it was a MemoryStream, its copy and a 24 MB string,
    /// large-object allocations that cost full collections.
    /// </summary>
    /// <param name="relaxed">Leave non-ASCII and HTML-sensitive characters unescaped (our own JSON); SARIF keeps the default.</param>
    public static void Write(TextWriter output, bool relaxed, Action<Utf8JsonWriter> write)
    {
        output.Flush();
        using (var sink = new TextSink(output))
        using (var w = new Utf8JsonWriter(sink, new JsonWriterOptions
               {
                   Indented = true,
                   Encoder = relaxed ? System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping : null,
               }))
        {
            write(w);
        }
        output.Write('\n');
    }

    /// <summary>Hands what the writer holds to the output once it is a chunk: writers call it between the elements
    /// of their long arrays, so memory stays bounded whatever the report's size.</summary>
    public static void FlushSome(Utf8JsonWriter w)
    {
        if (w.BytesPending >= Chunk)
        {
            w.Flush();
        }
    }

    public static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values)
        {
            w.WriteStringValue(value);
        }
        w.WriteEndArray();
    }

    /// <summary>UTF-8 bytes into a text output: straight to the stream under a StreamWriter that encodes UTF-8 without a BOM,
    /// else decoded chunk by chunk (a chunk may end inside a character: the decoder keeps it).</summary>
    private sealed class TextSink(TextWriter output) : Stream
    {
        private readonly Stream? _bytes = output is StreamWriter { Encoding: UTF8Encoding { Preamble.Length: 0 } } s ? s.BaseStream : null;
        private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
        private char[] _chars = [];

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_bytes is not null)
            {
                _bytes.Write(buffer);
                return;
            }
            var count = _decoder.GetCharCount(buffer, flush: false);
            if (_chars.Length < count)
            {
                _chars = new char[Math.Max(count, Chunk)];
            }
            var made = _decoder.GetChars(buffer, _chars, flush: false);
            output.Write(_chars, 0, made);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Flush() => _bytes?.Flush();

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
