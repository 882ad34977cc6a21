using System.Diagnostics;
using System.Globalization;
using System.Text;
using Patron.Storage;

namespace Patron.Observability;

/// <summary>
/// Request counts and latencies, write-path batching, and process figures, served as Prometheus
/// text at <c>/metrics</c> (the Prometheus exporter packages are not used: the format is simple).
/// </summary>
public sealed class PatronMetrics
{
    private static readonly double[] BucketsSeconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    private readonly long[] _byClass = new long[6];
    private readonly long[] _buckets = new long[BucketsSeconds.Length + 1];
    private long _durationMicros;

    public void Record(int status, long elapsedTicks)
    {
        Interlocked.Increment(ref _byClass[Math.Clamp(status / 100, 0, 5)]);
        var seconds = (double)elapsedTicks / Stopwatch.Frequency;
        var i = 0;
        while (i < BucketsSeconds.Length && seconds > BucketsSeconds[i])
        {
            i++;
        }
        Interlocked.Increment(ref _buckets[i]);
        Interlocked.Add(ref _durationMicros, (long)(seconds * 1_000_000));
    }

    public string Render(IWritePath writePath)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.Append("# HELP patron_http_requests_total HTTP requests answered, by status class.\n# TYPE patron_http_requests_total counter\n");
        for (var c = 1; c <= 5; c++)
        {
            sb.Append(inv, $"patron_http_requests_total{{class=\"{c}xx\"}} {Interlocked.Read(ref _byClass[c])}\n");
        }
        sb.Append("# HELP patron_http_request_duration_seconds Time to answer a request.\n# TYPE patron_http_request_duration_seconds histogram\n");
        long cumulative = 0;
        for (var i = 0; i < _buckets.Length; i++)
        {
            cumulative += Interlocked.Read(ref _buckets[i]);
            var le = i < BucketsSeconds.Length ? BucketsSeconds[i].ToString(inv) : "+Inf";
            sb.Append(inv, $"patron_http_request_duration_seconds_bucket{{le=\"{le}\"}} {cumulative}\n");
        }
        sb.Append(inv, $"patron_http_request_duration_seconds_sum {Interlocked.Read(ref _durationMicros) / 1_000_000.0}\n");
        sb.Append(inv, $"patron_http_request_duration_seconds_count {cumulative}\n");
        if (writePath is SqliteWritePath sqlite)
        {
            sb.Append("# HELP patron_write_batches_total Transactions committed by the SQLite group-commit writer.\n# TYPE patron_write_batches_total counter\n");
            sb.Append(inv, $"patron_write_batches_total {sqlite.Batches}\n");
            sb.Append("# HELP patron_write_operations_total Write operations committed by the SQLite group-commit writer.\n# TYPE patron_write_operations_total counter\n");
            sb.Append(inv, $"patron_write_operations_total {sqlite.Operations}\n");
        }
        using var process = Process.GetCurrentProcess();
        sb.Append("# TYPE process_resident_memory_bytes gauge\n");
        sb.Append(inv, $"process_resident_memory_bytes {process.WorkingSet64}\n");
        sb.Append("# TYPE dotnet_gc_heap_bytes gauge\n");
        sb.Append(inv, $"dotnet_gc_heap_bytes {GC.GetTotalMemory(false)}\n");
        return sb.ToString();
    }
}

public sealed class MetricsMiddleware(RequestDelegate next, PatronMetrics metrics)
{
    public async Task InvokeAsync(HttpContext http)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            await next(http);
        }
        finally
        {
            metrics.Record(http.Response.StatusCode, Stopwatch.GetTimestamp() - start);
        }
    }
}
