using System.IO.MemoryMappedFiles;
using ExportAudit.Diagnostics;

namespace ExportAudit.Ingest;

/// <summary>
/// A file's bytes without copying where it matters: files above 64 KiB are memory-mapped (only the pages
/// the readers touch are faulted in), smaller ones are read into one array. Dispose unmaps. On 64-bit Linux through
/// libc (<see cref="UnixFile"/>), elsewhere, and whenever that fails, through .NET's file APIs.
/// </summary>
public sealed unsafe class FileBytes : IDisposable
{
    private const long MapThreshold = 64 * 1024;

    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _pointer;
    private readonly byte[]? _array;
    private bool _pooled;
    private long _nativeMap; // bytes mapped by UnixFile.Map, unmapped once

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

    private FileBytes(byte* mapped, int length)
    {
        _pointer = mapped;
        _nativeMap = length;
        Length = length;
    }

    public ReadOnlySpan<byte> Span => _array is not null ? _array.AsSpan(0, Length) : new ReadOnlySpan<byte>(_pointer, Length);

    /// <summary>Wraps bytes already in memory (a decompressed module).</summary>
    public static FileBytes FromArray(byte[] array, int length) => new(array, length);

    public static FileBytes Open(string path, long maxBytes)
    {
        if (UnixFile.Usable && TryOpenUnix(path, maxBytes) is { } bytes)
        {
            return bytes;
        }
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

    // The same steps as below through libc; null where any call fails (the .NET way then reports it).
    private static FileBytes? TryOpenUnix(string path, long maxBytes)
    {
        var fd = UnixFile.Open(path);
        if (fd < 0)
        {
            return null;
        }
        byte[]? buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)MapThreshold);
        try
        {
            var read = UnixFile.Read(fd, buffer.AsSpan(0, (int)MapThreshold), 0);
            if (read < 0)
            {
                return null;
            }
            if (read < MapThreshold && read <= maxBytes)
            {
                var small = new FileBytes(buffer, read) { _pooled = true };
                buffer = null;
                return small;
            }
            var length = UnixFile.Length(fd);
            if (length < 0)
            {
                return null;
            }
            if (length > maxBytes || length > int.MaxValue)
            {
                throw new InputException(path, null, $"file of {length:N0} bytes is larger than the {maxBytes:N0}-byte limit");
            }
            if (length < MapThreshold)
            {
                return null; // it shrank meanwhile: the .NET way reads it again
            }
            var mapped = UnixFile.Map(fd, length);
            return mapped is null ? null : new FileBytes(mapped, (int)length);
        }
        finally
        {
            if (buffer is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
            }
            UnixFile.Close(fd); // a mapping outlives its descriptor
        }
    }

    public void Dispose()
    {
        if (_nativeMap > 0)
        {
            UnixFile.Unmap(_pointer, _nativeMap);
            _nativeMap = 0;
        }
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
