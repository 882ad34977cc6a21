using Patron.Storage;

namespace Patron.Api;

/// <summary>
/// On SQLite, a commit can be read a moment before it is on disk (<see cref="CommitDurability"/>). Every
/// response therefore waits, before its first byte, until every commit it may have read is durable: no
/// balance, entry or page shown to anyone can be taken back by a crash of the machine. With nothing
/// waiting to be synced the wait costs nothing; under writes it is at most one fsync.
/// </summary>
public static class DurableResponses
{
    public static void UseDurableResponses(this WebApplication app)
    {
        var durability = CommitDurability.Of(app.Services.GetRequiredService<IWritePath>());
        if (!durability.Deferred)
        {
            return;
        }
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state => ((CommitDurability)state).WaitAsync(), durability);
            return next(context);
        });
    }
}

/// <summary>
/// A response body for downloads that read as they write (the CSV export reads a page, writes it, reads the
/// next): each write first waits until every commit the data may come from is on disk, since the check before
/// the response's first byte (<see cref="DurableResponses"/>) covers only what was read before it.
/// </summary>
public sealed class DurableWriteStream(Stream inner, CommitDurability durability) : Stream
{
    public static Stream For(HttpContext http) =>
        new DurableWriteStream(http.Response.Body, CommitDurability.Of(http.RequestServices.GetRequiredService<IWritePath>()));

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await durability.WaitAsync();
        await inner.WriteAsync(buffer, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count)
    {
        durability.WaitAsync().GetAwaiter().GetResult();
        inner.Write(buffer, offset, count);
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
    public override void Flush() => inner.Flush();
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
