using System.IO.Compression;
using ExportAudit.Diagnostics;

namespace ExportAudit.Ingest.Compression;

public enum CompressionKind
{
    None,
    Xz,
    Zstd,
    Gzip,
}

/// <summary>
/// Recognises compressed modules by their magic bytes (never by the file name) and expands them in memory,
/// refusing output past a limit so a compression bomb costs bounded time and memory.
/// </summary>
public static class ModuleDecompressor
{
    /// <summary>Default bound on a decompressed module: far above any real one (the largest Debian module is ~20 MB).</summary>
    public const long DefaultLimit = 1L << 30;

    public static CompressionKind Detect(ReadOnlySpan<byte> head) => head switch
    {
        [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, ..] => CompressionKind.Xz,
        [0x28, 0xB5, 0x2F, 0xFD, ..] => CompressionKind.Zstd,
        [0x1F, 0x8B, ..] => CompressionKind.Gzip,
        _ => CompressionKind.None,
    };

    /// <summary>Returns the expanded bytes; the array may be longer than the content.</summary>
    public static (byte[] Buffer, int Length) Decompress(string path, ReadOnlySpan<byte> data, CompressionKind kind, long limit)
    {
        try
        {
            return kind switch
            {
                CompressionKind.Xz when LibLzma.IsAvailable => LibLzma.Decode(path, data, limit),
                CompressionKind.Xz => ReadBounded(path, new SharpCompress.Compressors.Xz.XZStream(new MemoryStream(data.ToArray())), limit),
                CompressionKind.Zstd => ReadBounded(path, new ZstdSharp.DecompressionStream(new MemoryStream(data.ToArray())), limit),
                CompressionKind.Gzip => ReadBounded(path, new GZipStream(new MemoryStream(data.ToArray()), CompressionMode.Decompress), limit),
                _ => throw new ArgumentOutOfRangeException(nameof(kind)),
            };
        }
        catch (InputException)
        {
            throw;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or InvalidOperationException or ArgumentException
                                  or SharpCompress.Common.InvalidFormatException or ZstdSharp.ZstdException)
        {
            throw new InputException(path, null, $"{kind.ToString().ToLowerInvariant()}: corrupt compressed data ({e.Message})");
        }
    }

    internal static (byte[], int) ReadBounded(string path, Stream stream, long limit)
    {
        using (stream)
        {
            var buffer = new byte[64 * 1024];
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= limit)
                    {
                        // One more byte would pass the limit: probe before refusing, so a file of exactly the limit passes.
                        if (stream.ReadByte() < 0)
                        {
                            return (buffer, length);
                        }
                        throw TooLarge(path, limit);
                    }
                    Array.Resize(ref buffer, (int)Math.Min(Math.Min((long)buffer.Length * 2, limit), Array.MaxLength));
                }
                var read = stream.Read(buffer, length, buffer.Length - length);
                if (read == 0)
                {
                    return (buffer, length);
                }
                length += read;
            }
        }
    }

    internal static InputException TooLarge(string path, long limit) =>
        new(path, null, $"decompresses to more than the {limit:N0}-byte limit (a compression bomb, or raise --max-module-size)");
}
