using Patron.Webhooks;
using Shouldly;

namespace Patron.Tests.Webhooks;

/// <summary>The bounded queue webhook outcomes wait in before they are written: in order, in batches, and never more than its capacity.</summary>
public sealed class BatchingQueueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task When_the_queue_is_full_a_producer_waits_until_the_writer_takes_a_batch()
    {
        var gate = new SemaphoreSlim(0);
        var batches = new List<int[]>();
        var firstWrite = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queue = new BatchingQueue<int>(capacity: 2, batchSize: 10, async batch =>
        {
            firstWrite.TrySetResult();
            await gate.WaitAsync(Ct);
            lock (batches)
            {
                batches.Add([.. batch]);
            }
        }, (_, _) => { });

        await queue.EnqueueAsync(1, Ct);
        await firstWrite.Task.WaitAsync(Patience, Ct); // the writer holds [1] and waits
        await queue.EnqueueAsync(2, Ct);
        await queue.EnqueueAsync(3, Ct);               // the queue is now full
        var fourth = queue.EnqueueAsync(4, Ct).AsTask();
        await Task.Delay(200, Ct);

        fourth.IsCompleted.ShouldBeFalse("the fourth item must wait while two are queued");
        queue.Unwritten.ShouldBe(4);

        gate.Release(); // [1] is written; the writer takes [2, 3], and there is room for 4
        await fourth.WaitAsync(Patience, Ct);
        gate.Release(10);
        await queue.CompleteAsync().WaitAsync(Patience, Ct);

        batches.SelectMany(b => b).ShouldBe([1, 2, 3, 4]);
        batches[0].ShouldBe([1]);
        batches.ShouldAllBe(b => b.Length <= 10);
        queue.Unwritten.ShouldBe(0);
    }

    [Fact]
    public async Task A_batch_that_cannot_be_written_is_reported_with_its_error_and_the_writer_goes_on()
    {
        var reported = new List<(int[] Items, Exception? Error)>();
        var queue = new BatchingQueue<int>(capacity: 8, batchSize: 1,
            batch => batch[0] == 2 ? throw new InvalidOperationException("disk full") : Task.CompletedTask,
            (batch, error) =>
            {
                lock (reported)
                {
                    reported.Add(([.. batch], error));
                }
            });

        foreach (var i in new[] { 1, 2, 3 })
        {
            await queue.EnqueueAsync(i, Ct);
        }
        await queue.CompleteAsync().WaitAsync(Patience, Ct);

        reported.Select(r => r.Items[0]).ShouldBe([1, 2, 3]);
        reported[0].Error.ShouldBeNull();
        reported[1].Error.ShouldBeOfType<InvalidOperationException>().Message.ShouldBe("disk full");
        reported[2].Error.ShouldBeNull();
        queue.Unwritten.ShouldBe(0);
    }

    [Fact]
    public async Task A_waiting_producer_can_give_up()
    {
        var gate = new TaskCompletionSource();
        var queue = new BatchingQueue<int>(capacity: 1, batchSize: 1, _ => gate.Task, (_, _) => { });
        await queue.EnqueueAsync(1, Ct);
        await Task.Delay(100, Ct); // the writer has taken 1
        await queue.EnqueueAsync(2, Ct);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Should.ThrowAsync<OperationCanceledException>(() => queue.EnqueueAsync(3, cancel.Token).AsTask());

        queue.Unwritten.ShouldBe(2);
        gate.SetResult();
        await queue.CompleteAsync().WaitAsync(Patience, Ct);
        queue.Unwritten.ShouldBe(0);
    }
}
