using System.Text;
using System.Text.RegularExpressions;

namespace ExportAudit.Ingest.Patch;

/// <summary>A body line with where it came from: the line in the patch file, and for an encoded (base64,
/// quoted-printable) body the line within the decoded text, so errors can still point somewhere useful.</summary>
public readonly record struct SourceLine(string Text, int FileLine, int? DecodedLine)
{
    public string Where(string path) => DecodedLine is { } d ? $"{FileLine} (encoded body, decoded line {d})" : FileLine.ToString();
}

/// <summary>One mail of an mbox (or a lone plain diff: no headers).</summary>
public sealed record Mail(int StartLine, IReadOnlyDictionary<string, string> Headers, IReadOnlyList<SourceLine> Body);

/// <summary>
/// Splits what git format-patch, git send-email and mail clients produce into mails: mbox "From " separators,
/// headers folded over lines (RFC 5322), RFC 2047 encoded words, MIME multipart bodies with patches inline or
/// attached, quoted-printable and base64 transfer encodings, CRLF line ends. A file that is not mail is one
/// headerless "mail" whose body is the whole file (a plain unified diff).
/// </summary>
public static partial class MailReader
{
    public static IReadOnlyList<Mail> Split(string text)
    {
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].EndsWith('\r')) lines[i] = lines[i][..^1];
        }
        var count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;

        // Mail starts: mbox "From " lines followed by a header, or a header block on the very first line.
        var starts = new List<int>();
        for (var i = 0; i < count; i++)
        {
            if (lines[i].StartsWith("From ", StringComparison.Ordinal) && i + 1 < count && IsHeaderLine(lines[i + 1]))
            {
                starts.Add(i);
            }
        }
        if (starts.Count == 0 && count > 0 && IsHeaderLine(lines[0]) && HasHeaderBlock(lines, 0, count))
        {
            starts.Add(-1); // a single mail without the mbox separator (a saved .eml)
        }
        if (starts.Count == 0)
        {
            return [new Mail(1, new Dictionary<string, string>(), Enumerable.Range(0, count).Select(i => new SourceLine(lines[i], i + 1, null)).ToArray())];
        }
        var mails = new List<Mail>();
        for (var s = 0; s < starts.Count; s++)
        {
            var from = starts[s] + 1;
            var to = s + 1 < starts.Count ? starts[s + 1] : count;
            mails.Add(ReadMail(lines, from, to, Math.Max(starts[s], 0) + 1));
        }
        return mails;
    }

    private static bool IsHeaderLine(string line) => HeaderPattern().IsMatch(line);

    private static bool HasHeaderBlock(string[] lines, int from, int to)
    {
        // At least one of the headers a mail must have, before the first blank line.
        for (var i = from; i < to && lines[i].Length > 0; i++)
        {
            if (lines[i].StartsWith("Subject:", StringComparison.OrdinalIgnoreCase) || lines[i].StartsWith("From:", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private static Mail ReadMail(string[] lines, int from, int to, int startLine)
    {
        var i = from;
        var headers = ReadHeaders(lines, ref i, to);
        var body = DecodeEntity(lines, i, to, headers);
        return new Mail(startLine, headers, body);
    }

    /// <summary>Header lines up to the blank line; folded lines joined; names lower-cased; the first of a name kept.</summary>
    private static Dictionary<string, string> ReadHeaders(string[] lines, ref int i, int to)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        for (; i < to; i++)
        {
            var line = lines[i];
            if (line.Length == 0)
            {
                i++;
                break;
            }
            if ((line[0] == ' ' || line[0] == '\t') && name is not null)
            {
                headers[name] += " " + line.Trim();
                continue;
            }
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                break; // not a header: the body starts without a blank line
            }
            name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            if (!headers.TryAdd(name, value))
            {
                name = null; // a repeated header (Received:, ...): the first one counts, continuations of this one are dropped
            }
        }
        return headers;
    }

    // A MIME entity's body: multipart parts recursed (text ones kept, in order), transfer encodings decoded.
    private static List<SourceLine> DecodeEntity(string[] lines, int from, int to, IReadOnlyDictionary<string, string> headers)
    {
        var contentType = headers.GetValueOrDefault("content-type", "text/plain");
        if (contentType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase) && Parameter(contentType, "boundary") is { Length: > 0 } boundary)
        {
            var result = new List<SourceLine>();
            var delimiter = "--" + boundary;
            int? partStart = null;
            for (var i = from; i < to; i++)
            {
                var line = lines[i];
                if (!line.StartsWith(delimiter, StringComparison.Ordinal))
                {
                    continue;
                }
                if (partStart is { } start)
                {
                    result.AddRange(DecodePart(lines, start, i));
                }
                if (line.AsSpan(delimiter.Length).TrimEnd().SequenceEqual("--"))
                {
                    partStart = null;
                    break;
                }
                partStart = i + 1;
            }
            if (partStart is { } last)
            {
                result.AddRange(DecodePart(lines, last, to)); // no closing delimiter: take the rest
            }
            return result;
        }
        return DecodeLeaf(lines, from, to, headers);
    }

    private static List<SourceLine> DecodePart(string[] lines, int from, int to)
    {
        var i = from;
        var headers = ReadHeaders(lines, ref i, to);
        var type = headers.GetValueOrDefault("content-type", "text/plain").ToLowerInvariant();
        var disposition = headers.GetValueOrDefault("content-disposition", "");
        var fileName = Parameter(disposition, "filename") ?? Parameter(type, "name") ?? "";
        var isPatch = type.StartsWith("text/", StringComparison.Ordinal) || type.StartsWith("multipart/", StringComparison.Ordinal)
            || fileName.EndsWith(".patch", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".diff", StringComparison.OrdinalIgnoreCase);
        if (!isPatch || type.StartsWith("text/html", StringComparison.Ordinal))
        {
            return []; // signatures, images, the HTML twin of a text part
        }
        return DecodeEntity(lines, i, to, headers);
    }

    private static List<SourceLine> DecodeLeaf(string[] lines, int from, int to, IReadOnlyDictionary<string, string> headers)
    {
        var encoding = headers.GetValueOrDefault("content-transfer-encoding", "").Trim().ToLowerInvariant();
        var charset = Parameter(headers.GetValueOrDefault("content-type", ""), "charset")?.ToLowerInvariant();
        var textEncoding = charset is "iso-8859-1" or "latin1" or "us-ascii" or "iso-8859-15" ? Encoding.Latin1 : Encoding.UTF8;
        if (encoding is not ("base64" or "quoted-printable"))
        {
            var plain = new List<SourceLine>(Math.Max(0, to - from));
            for (var i = from; i < to; i++)
            {
                plain.Add(new SourceLine(lines[i], i + 1, null));
            }
            return plain;
        }
        byte[] bytes;
        if (encoding == "base64")
        {
            var text = new StringBuilder();
            for (var i = from; i < to; i++)
            {
                text.Append(lines[i].Trim());
            }
            var clean = new string(text.ToString().Where(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '=').ToArray());
            bytes = new byte[clean.Length * 3 / 4 + 3];
            if (!Convert.TryFromBase64String(clean, bytes, out var written))
            {
                // Padding cut off by a mail client: decode what is whole.
                var whole = clean.TrimEnd('=');
                whole = whole[..(whole.Length / 4 * 4)];
                written = Convert.TryFromBase64String(whole, bytes, out var w2) ? w2 : 0;
            }
            Array.Resize(ref bytes, written);
        }
        else
        {
            bytes = QuotedPrintable(lines, from, to);
        }
        var decoded = textEncoding.GetString(bytes).Split('\n');
        var count = decoded.Length > 0 && decoded[^1].Length == 0 ? decoded.Length - 1 : decoded.Length;
        var result = new List<SourceLine>(count);
        for (var k = 0; k < count; k++)
        {
            result.Add(new SourceLine(decoded[k].TrimEnd('\r'), from + 1, k + 1));
        }
        return result;
    }

    private static byte[] QuotedPrintable(string[] lines, int from, int to)
    {
        var output = new List<byte>();
        for (var i = from; i < to; i++)
        {
            var line = lines[i];
            var soft = line.EndsWith('=');
            if (soft) line = line[..^1];
            else line = line.TrimEnd(' ', '\t'); // trailing whitespace is not part of QP text (RFC 2045 6.7)
            for (var k = 0; k < line.Length; k++)
            {
                if (line[k] == '=' && k + 2 < line.Length && IsHex(line[k + 1]) && IsHex(line[k + 2]))
                {
                    output.Add(Convert.ToByte(line.Substring(k + 1, 2), 16));
                    k += 2;
                }
                else if (line[k] < 0x80)
                {
                    output.Add((byte)line[k]);
                }
                else
                {
                    output.AddRange(Encoding.UTF8.GetBytes(line[k].ToString())); // raw 8-bit text a mailer left unencoded
                }
            }
            if (!soft) output.Add((byte)'\n');
        }
        return output.ToArray();

        static bool IsHex(char c) => char.IsAsciiHexDigit(c);
    }

    /// <summary>A parameter of a structured header (boundary=, charset=, filename=), quotes removed.</summary>
    public static string? Parameter(string header, string name)
    {
        var match = Regex.Match(header, $@"(?:^|;)\s*{Regex.Escape(name)}\s*=\s*(?:""([^""]*)""|([^;\s]+))", RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        return match.Success ? (match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value) : null;
    }

    /// <summary>RFC 2047 encoded words (=?utf-8?q?...?= and =?utf-8?b?...?=), as git send-email writes non-ASCII names and subjects.</summary>
    public static string DecodeWords(string value)
    {
        var decoded = EncodedWord().Replace(value, m =>
        {
            var encoding = m.Groups[1].Value.ToLowerInvariant() is "iso-8859-1" or "latin1" or "us-ascii" ? Encoding.Latin1 : Encoding.UTF8;
            var text = m.Groups[3].Value;
            try
            {
                if (m.Groups[2].Value is "b" or "B")
                {
                    return encoding.GetString(Convert.FromBase64String(text));
                }
                var bytes = new List<byte>();
                for (var k = 0; k < text.Length; k++)
                {
                    if (text[k] == '_') bytes.Add((byte)' ');
                    else if (text[k] == '=' && k + 2 < text.Length && char.IsAsciiHexDigit(text[k + 1]) && char.IsAsciiHexDigit(text[k + 2]))
                    {
                        bytes.Add(Convert.ToByte(text.Substring(k + 1, 2), 16));
                        k += 2;
                    }
                    else bytes.Add((byte)text[k]);
                }
                return encoding.GetString(bytes.ToArray());
            }
            catch (FormatException)
            {
                return m.Value;
            }
        });
        // Whitespace between two adjacent encoded words is not part of the text.
        return decoded;
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9-]*:( |\t|$)")]
    private static partial Regex HeaderPattern();

    [GeneratedRegex(@"=\?([^?]+)\?([bBqQ])\?([^?]*)\?=(?:\s+(?==\?))?")]
    private static partial Regex EncodedWord();
}
