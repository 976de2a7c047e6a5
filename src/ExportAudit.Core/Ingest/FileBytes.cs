using System.IO.MemoryMappedFiles;
using ExportAudit.Diagnostics;

namespace ExportAudit.Ingest;

/// <summary>
/// A file's bytes without copying where it matters: files above 64 KiB are memory-mapped (only the pages
/// the readers touch are faulted in), smaller ones are read into one array. Dispose unmaps.
/// </summary>
public sealed unsafe class FileBytes : IDisposable
{
    private const long MapThreshold = 64 * 1024;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _pointer;
    private readonly byte[]? _array;

    public int Length { get; }

    private FileBytes(byte[] array, int length)
    {
        _array = array;
        Length = length;
    }

    private FileBytes(MemoryMappedFile map, MemoryMappedViewAccessor view, int length)
    {
        _map = map;
        _view = view;
        Length = length;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _pointer = p + view.PointerOffset;
    }

    public ReadOnlySpan<byte> Span => _array is not null ? _array.AsSpan(0, Length) : new ReadOnlySpan<byte>(_pointer, Length);

    /// <summary>Wraps bytes already in memory (a decompressed module).</summary>
    public static FileBytes FromArray(byte[] array, int length) => new(array, length);

    public static FileBytes Open(string path, long maxBytes)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = RandomAccess.GetLength(handle);
        if (length > maxBytes || length > int.MaxValue)
        {
            throw new InputException(path, null, $"file of {length:N0} bytes is larger than the {maxBytes:N0}-byte limit");
        }
        if (length < MapThreshold)
        {
            var array = new byte[length];
            var read = RandomAccess.Read(handle, array, 0);
            return new FileBytes(array, read);
        }
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            return new FileBytes(map, view, (int)length);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map!.Dispose();
        }
    }
}
