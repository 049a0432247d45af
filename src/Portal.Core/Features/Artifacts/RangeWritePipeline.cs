using System.Threading.Channels;
using Portal.Core.Features.Artifacts.Manifests;

namespace Portal.Core.Features.Artifacts;

/// <summary>
/// Stores closed ranges on a background task while the manifest is still being read, sorted and hashed, so parsing
/// and database writes overlap instead of taking turns. At most <see cref="Capacity"/> ranges wait, which bounds the
/// memory to a few ranges. Whatever waits when the writer is free is written together, in one transaction (see
/// <see cref="RangeWriter.WriteIfMissingAsync"/>), so a writer that
/// falls behind catches up in bigger, cheaper steps. Ranges are immutable and content-addressed, so ranges already
/// stored when a later line of the manifest turns out bad are harmless (nothing refers to them).
/// </summary>
public sealed class RangeWritePipeline : IAsyncDisposable
{
    private const int Capacity = 16;

    /// <summary>At most this many entries go in one transaction.</summary>
    private const int MaxEntriesPerWrite = 32_768;

    private readonly Channel<BuiltRange> _queue = Channel.CreateBounded<BuiltRange>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly CancellationTokenSource _stop;
    private readonly Task _writer;
    private bool _completed;

    public RangeWritePipeline(RangeWriter writer, CancellationToken ct)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _writer = Task.Run(() => WriteAllAsync(writer, _stop.Token), CancellationToken.None);
    }

    /// <summary>Queues a range; waits while the queue is full. A failed write surfaces here or in <see cref="CompleteAsync"/>.</summary>
    public async ValueTask EnqueueAsync(BuiltRange range, CancellationToken ct)
    {
        try
        {
            await _queue.Writer.WriteAsync(range, ct);
        }
        catch (ChannelClosedException)
        {
            // The writer stopped on an error: report that error, not the closed channel.
            await _writer;
            throw;
        }
    }

    /// <summary>Waits until every queued range is stored.</summary>
    public async Task CompleteAsync()
    {
        _completed = true;
        _queue.Writer.TryComplete();
        await _writer;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_completed)
        {
            // Abandoned (the manifest failed): stop writing and wait, so nothing writes after the request ends.
            _queue.Writer.TryComplete();
            await _stop.CancelAsync();
            // The caller is already reporting the error that abandoned the pipeline; the writer's own is observed, not rethrown.
            await Task.WhenAny(_writer);
            _ = _writer.Exception;
        }
        _stop.Dispose();
    }

    private async Task WriteAllAsync(RangeWriter writer, CancellationToken ct)
    {
        try
        {
            var batch = new List<BuiltRange>(Capacity);
            while (await _queue.Reader.WaitToReadAsync(ct))
            {
                var entries = 0;
                while (entries < MaxEntriesPerWrite && _queue.Reader.TryRead(out var range))
                {
                    batch.Add(range);
                    entries += range.EntryCount;
                }
                await writer.WriteIfMissingAsync(batch, ct);
                batch.Clear();
            }
        }
        catch (Exception ex)
        {
            _queue.Writer.TryComplete(ex);
            throw;
        }
    }
}
