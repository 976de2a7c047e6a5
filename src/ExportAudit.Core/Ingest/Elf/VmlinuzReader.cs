using ExportAudit.Diagnostics;
using ExportAudit.Ingest.Compression;

namespace ExportAudit.Ingest.Elf;

/// <summary>
/// The vmlinux inside a bzImage (a distribution's /boot/vmlinuz), found as the kernel's
/// scripts/extract-vmlinux finds it: look for each compression format's magic, decompress from there, and
/// keep the first result that is an ELF file. The result is a stripped vmlinux: <see cref="VmlinuxReader"/>
/// decodes its export tables.
/// </summary>
public static unsafe class VmlinuzReader
{
    /// <summary>The x86 boot protocol's "HdrS" at 0x202 marks a bzImage.</summary>
    public static bool IsBzImage(ReadOnlySpan<byte> data) => data.Length > 0x206 && data.Slice(0x202, 4).SequenceEqual("HdrS"u8);

    private static unsafe int ZstdFrameSize(ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            var size = ZstdSharp.Unsafe.Methods.ZSTD_findFrameCompressedSize(p, (nuint)data.Length);
            return ZstdSharp.Unsafe.Methods.ZSTD_isError(size) || size > (nuint)data.Length
                ? throw new InputException("", null, "not a zstd frame")
                : (int)size;
        }
    }

    public static (byte[] Buffer, int Length) ExtractVmlinux(string path, ReadOnlySpan<byte> data, long limit)
    {
        foreach (var (magic, kind) in new (byte[], CompressionKind)[]
                 {
                     ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], CompressionKind.Xz),
                     ([0x28, 0xB5, 0x2F, 0xFD], CompressionKind.Zstd),
                     ([0x1F, 0x8B, 0x08], CompressionKind.Gzip),
                 })
        {
            var from = 0;
            while (from < data.Length)
            {
                var at = data[from..].IndexOf(magic);
                if (at < 0)
                {
                    break;
                }
                at += from;
                try
                {
                    var (buffer, length) = kind switch
                    {
                        CompressionKind.Xz when LibLzma.IsAvailable => LibLzma.Decode(path, data[at..], limit, concatenated: false),
                        // One frame, not what follows it: the decoder would take the trailing data for another frame.
                        CompressionKind.Zstd => ModuleDecompressor.Decompress(path, data.Slice(at, ZstdFrameSize(data[at..])), kind, limit),
                        _ => ModuleDecompressor.Decompress(path, data[at..], kind, limit),
                    };
                    if (ElfView.HasMagic(buffer.AsSpan(0, length)))
                    {
                        return (buffer, length);
                    }
                }
                catch (InputException)
                {
                    // Not a stream after all, or trailing data the decoder refused: try the next candidate.
                }
                from = at + 1;
            }
        }
        throw new InputException(path, null, "bzImage: no compressed vmlinux found (xz, zstd, gzip)");
    }
}
