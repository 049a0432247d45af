using System.Runtime.CompilerServices;
using System.Text;

namespace Portal.Core.Features.Artifacts.Manifests;

/// <summary>
/// Sorts manifest entries by <see cref="Utf8PathComparer"/> with bounded memory, so a client may upload a
/// million-file manifest in any order. Up to <c>maxEntriesInMemory</c> entries are sorted in memory; beyond that,
/// sorted runs are spilled to temp files and merged. Duplicate paths are rejected with 400 <c>path_duplicate</c>.
/// </summary>
public sealed class ManifestSorter
{
    public const int DefaultMaxEntriesInMemory = 100_000;

    // Bounds the open spill files; more runs than this are first merged into one bigger run.
    internal const int MaxMergeWidth = 64;

    private const int SpillBufferSize = 256 * 1024;

    private readonly int _maxEntriesInMemory;
    private readonly string _tempRoot;

    /// <param name="maxEntriesInMemory">Entries held in memory before a sorted run is spilled to disk.</param>
    /// <param name="tempDirectory">Where spill files go; the system temp folder by default.</param>
    public ManifestSorter(int maxEntriesInMemory = DefaultMaxEntriesInMemory, string? tempDirectory = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntriesInMemory, 1);
        _maxEntriesInMemory = maxEntriesInMemory;
        _tempRoot = tempDirectory ?? Path.GetTempPath();
    }

    /// <summary>
    /// Yields <paramref name="entries"/> in path order. Spill files are deleted when the enumeration ends, fails or is
    /// abandoned (disposed).
    /// </summary>
    public async IAsyncEnumerable<ManifestEntry> SortAsync(
        IAsyncEnumerable<ManifestEntry> entries, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var buffer = new List<ManifestEntry>(Math.Min(_maxEntriesInMemory, 4096));
        var runs = new List<SpillRun>();
        string? spillFolder = null;
        try
        {
            await foreach (var entry in entries.WithCancellation(cancellationToken))
            {
                buffer.Add(entry);
                if (buffer.Count < _maxEntriesInMemory)
                    continue;
                spillFolder ??= Directory.CreateDirectory(Path.Combine(_tempRoot, SpillFolders.NewName())).FullName;
                SortInMemory(buffer);
                runs.Add(SpillRun.Write(spillFolder, buffer));
                buffer.Clear();
                if (runs.Count >= MaxMergeWidth)
                {
                    var merged = SpillRun.Write(spillFolder, Merge(runs.Select(r => r.Read()), cancellationToken));
                    runs.ForEach(r => r.Dispose());
                    runs.Clear();
                    runs.Add(merged);
                }
            }

            SortInMemory(buffer);
            if (runs.Count == 0)
            {
                foreach (var entry in buffer)
                    yield return entry;
                yield break;
            }

            // The last, partial buffer joins the merge straight from memory.
            var sources = runs.Select(r => r.Read()).Append(buffer);
            foreach (var entry in Merge(sources, cancellationToken))
                yield return entry;
        }
        finally
        {
            runs.ForEach(r => r.Dispose());
            if (spillFolder is not null)
                TryDeleteFolder(spillFolder);
        }
    }

    private static void SortInMemory(List<ManifestEntry> buffer)
    {
        buffer.Sort(static (a, b) => Utf8PathComparer.Instance.Compare(a.Path, b.Path));
        for (var i = 1; i < buffer.Count; i++)
        {
            if (string.Equals(buffer[i - 1].Path, buffer[i].Path, StringComparison.Ordinal))
                throw ManifestRangeBuilder.DuplicatePath(buffer[i].Path);
        }
    }

    /// <summary>k-way merge of sorted sources; equal paths from different sources are duplicates.</summary>
    private static IEnumerable<ManifestEntry> Merge(IEnumerable<IEnumerable<ManifestEntry>> sources, CancellationToken cancellationToken)
    {
        var enumerators = new List<IEnumerator<ManifestEntry>>();
        try
        {
            var queue = new PriorityQueue<IEnumerator<ManifestEntry>, string>(Utf8PathComparer.Instance);
            foreach (var source in sources)
            {
                var enumerator = source.GetEnumerator();
                enumerators.Add(enumerator);
                if (enumerator.MoveNext())
                    queue.Enqueue(enumerator, enumerator.Current.Path);
            }
            string? previous = null;
            while (queue.TryDequeue(out var enumerator, out var path))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (previous is not null && string.Equals(previous, path, StringComparison.Ordinal))
                    throw ManifestRangeBuilder.DuplicatePath(path);
                previous = path;
                yield return enumerator.Current;
                if (enumerator.MoveNext())
                    queue.Enqueue(enumerator, enumerator.Current.Path);
            }
        }
        finally
        {
            enumerators.ForEach(e => e.Dispose());
        }
    }

    private static void TryDeleteFolder(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the files were opened DeleteOnClose, so at worst an empty folder is left behind.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// One sorted run on disk in a compact binary form (length-prefixed UTF-8 strings). Opened DeleteOnClose so the
    /// file goes away with its handle, even if the folder clean-up fails.
    /// </summary>
    private sealed class SpillRun : IDisposable
    {
        private const byte HasRef = 1;
        private const byte HasExtra = 2;

        private readonly FileStream _file;
        private readonly long _count;

        private SpillRun(FileStream file, long count)
        {
            _file = file;
            _count = count;
        }

        public static SpillRun Write(string folder, IEnumerable<ManifestEntry> sortedEntries)
        {
            var file = new FileStream(
                Path.Combine(folder, Guid.NewGuid().ToString("N") + ".run"),
                FileMode.CreateNew,
                FileAccess.ReadWrite,
                FileShare.None,
                SpillBufferSize,
                FileOptions.DeleteOnClose | FileOptions.SequentialScan);
            try
            {
                long count = 0;
                using (var writer = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
                {
                    foreach (var entry in sortedEntries)
                    {
                        writer.Write(entry.Path);
                        writer.Write(entry.Digest);
                        writer.Write(entry.Size);
                        writer.Write((byte)((entry.Ref is null ? 0 : HasRef) | (entry.ExtraJson is null ? 0 : HasExtra)));
                        if (entry.Ref is not null)
                            writer.Write(entry.Ref);
                        if (entry.ExtraJson is not null)
                            writer.Write(entry.ExtraJson);
                        count++;
                    }
                }
                file.Flush();
                return new SpillRun(file, count);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>Reads the run from the start; one reader at a time.</summary>
        public IEnumerable<ManifestEntry> Read()
        {
            _file.Position = 0;
            using var reader = new BinaryReader(_file, Encoding.UTF8, leaveOpen: true);
            for (long i = 0; i < _count; i++)
            {
                var path = reader.ReadString();
                var digest = reader.ReadString();
                var size = reader.ReadInt64();
                var flags = reader.ReadByte();
                var reference = (flags & HasRef) != 0 ? reader.ReadString() : null;
                var extra = (flags & HasExtra) != 0 ? reader.ReadString() : null;
                yield return new ManifestEntry(path, digest, size, reference, extra);
            }
        }

        public void Dispose() => _file.Dispose();
    }
}
