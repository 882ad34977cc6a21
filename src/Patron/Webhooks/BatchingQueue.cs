using System.Threading.Channels;

namespace Patron.Webhooks;

/// <summary>
/// Items written in batches by one background writer, through a bounded channel. When
/// <c>capacity</c> items are waiting, <see cref="EnqueueAsync"/> waits for room: producers slow
/// down to the writer's pace instead of piling items up in memory.
/// </summary>
/// <param name="write">Writes one batch, in the order the items were enqueued.</param>
/// <param name="written">Called after every batch, with the error that kept it from being written, if any.</param>
public sealed class BatchingQueue<T>
{
    private readonly Channel<T> _channel;
    private readonly Func<IReadOnlyList<T>, Task> _write;
    private readonly Action<IReadOnlyList<T>, Exception?> _written;
    private readonly int _batchSize;
    private readonly Task _loop;
    private int _unwritten;

    public BatchingQueue(int capacity, int batchSize, Func<IReadOnlyList<T>, Task> write, Action<IReadOnlyList<T>, Exception?> written)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _channel = Channel.CreateBounded<T>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        _write = write;
        _written = written;
        _batchSize = batchSize;
        _loop = Task.Run(WriteLoopAsync);
    }

    /// <summary>Items enqueued and not yet written: waiting, or in the batch being written.</summary>
    public int Unwritten => Volatile.Read(ref _unwritten);

    /// <summary>Adds an item; waits while the queue is full.</summary>
    public async ValueTask EnqueueAsync(T item, CancellationToken ct = default)
    {
        Interlocked.Increment(ref _unwritten);
        try
        {
            await _channel.Writer.WriteAsync(item, ct);
        }
        catch
        {
            Interlocked.Decrement(ref _unwritten);
            throw;
        }
    }

    /// <summary>Takes no more items, writes those already in, and returns when the writer has stopped.</summary>
    public Task CompleteAsync()
    {
        _channel.Writer.TryComplete();
        return _loop;
    }

    private async Task WriteLoopAsync()
    {
        var reader = _channel.Reader;
        var batch = new List<T>(_batchSize);
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < _batchSize && reader.TryRead(out var item))
            {
                batch.Add(item);
            }
            Exception? error = null;
            try
            {
                await _write(batch);
            }
            catch (Exception e)
            {
                error = e;
            }
            Interlocked.Add(ref _unwritten, -batch.Count);
            _written(batch, error);
        }
    }
}
