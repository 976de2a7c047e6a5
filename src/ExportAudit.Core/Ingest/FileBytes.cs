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
    private bool _pooled;

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
        // Read first, ask the size only when the buffer fills: a short read of a regular file is its end, so the files
        // of a tree (96 % under 64 KiB) take one read and no fstat. Pooled: a tree scan reads tens of thousands of small
        // files, and fresh arrays made the GC the bottleneck.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)MapThreshold);
        int read;
        try
        {
            read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)MapThreshold), 0);
        }
        catch
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
        if (read < MapThreshold && read <= maxBytes)
        {
            return new FileBytes(buffer, read) { _pooled = true };
        }
        System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        var length = RandomAccess.GetLength(handle);
        if (length > maxBytes || length > int.MaxValue)
        {
            throw new InputException(path, null, $"file of {length:N0} bytes is larger than the {maxBytes:N0}-byte limit");
        }
        if (length < MapThreshold)
        {
            // Shorter than what was read a moment ago: it shrank meanwhile; read it again at its size.
            var array = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Max(length, 1));
            var again = RandomAccess.Read(handle, array.AsSpan(0, (int)length), 0);
            return new FileBytes(array, again) { _pooled = true };
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
        if (_pooled && _array is not null)
        {
            _pooled = false;
            System.Buffers.ArrayPool<byte>.Shared.Return(_array);
        }
        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _map!.Dispose();
        }
    }
}
