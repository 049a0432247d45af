using System.Runtime.InteropServices;

namespace Portal.Cli;

/// <summary>
/// What the digest cache compares to decide a file is unchanged: size, modification time and inode. The inode
/// catches a file replaced by another one of the same size and time (e.g. by <c>mv</c> or an extracted archive).
/// </summary>
internal readonly record struct FileIdentity(long Size, long ModifiedTicks, ulong Inode)
{
    public static FileIdentity Of(FileInfo file) =>
        new(file.Length, file.LastWriteTimeUtc.Ticks, InodeOf(file.FullName));

    private static ulong InodeOf(string path)
    {
        if (OperatingSystem.IsWindows())
            return 0;
        ulong inode;
        string? kind;
        try
        {
            inode = NativeStat.Inode(path, out kind);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // Without stat the cache still works on size and time, as most tools' caches do.
            return 0;
        }

        // Reading a named pipe waits for a writer and a device may never end: refuse them before anything opens them.
        return kind is null ? inode : throw new IOException($"it is {kind}, not a regular file");
    }
}

/// <summary>
/// Which folder a path leads to, whatever links it goes through: device and inode, as <c>find -L</c> and
/// <c>rsync</c> tell a folder they are already inside. Where stat is not available the resolved path stands in.
/// </summary>
internal readonly record struct FolderIdentity(ulong Device, ulong Inode, string? ResolvedPath)
{
    public static FolderIdentity Of(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            try
            {
                if (NativeStat.DeviceAndInode(path) is var (device, inode) && inode != 0)
                    return new FolderIdentity(device, inode, null);
            }
            catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
            {
                // Fall through to the path.
            }
        }

        var info = new DirectoryInfo(path);
        return new FolderIdentity(0, 0, info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName);
    }
}

internal static partial class NativeStat
{
    // struct stat starts with st_dev (8 bytes on 64-bit Linux; 4 + mode 2 + nlink 2 on macOS) followed by st_ino,
    // so the inode is the 64-bit value at offset 8 on both. The buffer is larger than any struct stat.
    private const int InodeOffset = 8;
    private const int BufferSize = 512;

    /// <param name="special">What the path is when it is known not to be a regular file or a folder ("a named
    /// pipe" …); null for a regular file, a folder, or when the file type cannot be read on this platform.</param>
    public static unsafe ulong Inode(string path, out string? special)
    {
        special = null;
        var buffer = stackalloc byte[BufferSize];
        if (Stat(path, buffer) != 0 || IntPtr.Size != 8)
            return 0;
        if (ModeOffset() is { } offset)
        {
            special = (*(uint*)(buffer + offset) & FileTypeMask) switch
            {
                0x1000 => "a named pipe",
                0x2000 => "a character device",
                0x6000 => "a block device",
                0xC000 => "a socket",
                _ => null,
            };
        }

        return *(ulong*)(buffer + InodeOffset);
    }

    private const uint FileTypeMask = 0xF000;

    // st_mode: after st_dev, st_ino and st_nlink on x86-64 Linux, after st_dev and st_ino on arm64 Linux (the generic
    // layout), right after the 32-bit st_dev on macOS (16 bits, little-endian, so reading 32 bits there would take in
    // st_nlink: masked away).
    private static int? ModeOffset() =>
        OperatingSystem.IsMacOS() ? 4
        : !OperatingSystem.IsLinux() ? null
        : RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => null,
        };

    /// <summary>st_dev and st_ino of what <paramref name="path"/> leads to; (0, 0) when stat fails.</summary>
    public static unsafe (ulong Device, ulong Inode) DeviceAndInode(string path)
    {
        var buffer = stackalloc byte[BufferSize];
        if (Stat(path, buffer) != 0 || IntPtr.Size != 8)
            return (0, 0);
        // st_dev is 64 bits on Linux and a 32-bit dev_t on macOS, both at the start of the struct.
        ulong device = OperatingSystem.IsMacOS() ? *(uint*)buffer : *(ulong*)buffer;
        return (device, *(ulong*)(buffer + InodeOffset));
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);
}
