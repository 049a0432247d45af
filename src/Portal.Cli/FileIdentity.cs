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
        try
        {
            return NativeStat.Inode(path);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            // Without stat the cache still works on size and time, as most tools' caches do.
            return 0;
        }
    }
}

internal static partial class NativeStat
{
    // struct stat starts with st_dev (8 bytes on 64-bit Linux; 4 + mode 2 + nlink 2 on macOS) followed by st_ino,
    // so the inode is the 64-bit value at offset 8 on both. The buffer is larger than any struct stat.
    private const int InodeOffset = 8;
    private const int BufferSize = 512;

    public static unsafe ulong Inode(string path)
    {
        var buffer = stackalloc byte[BufferSize];
        return Stat(path, buffer) == 0 && IntPtr.Size == 8 ? *(ulong*)(buffer + InodeOffset) : 0;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Stat(string path, byte* buffer);
}
