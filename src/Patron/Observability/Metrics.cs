using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Patron.Storage;

namespace Patron.Observability;

/// <summary>
/// Request counts and latencies per route, the write path's queue and batches, the webhook backlog and
/// failures, and process figures, served as Prometheus text at <c>/metrics</c>. Written by hand rather than
/// with an exporter package: docs/ARCHITECTURE.md ("Metrics") says why.
/// </summary>
public sealed class PatronMetrics
{
    private static readonly double[] BucketsSeconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
    private readonly ConcurrentDictionary<(string Method, string Route), RouteFigures> _routes = new();

    public void Record(string method, string route, int status, long elapsedTicks)
    {
        var figures = _routes.GetOrAdd((method, route), _ => new RouteFigures());
        Interlocked.Increment(ref figures.ByClass[Math.Clamp(status / 100, 0, 5)]);
        var seconds = (double)elapsedTicks / Stopwatch.Frequency;
        var i = 0;
        while (i < BucketsSeconds.Length && seconds > BucketsSeconds[i])
        {
            i++;
        }
        Interlocked.Increment(ref figures.Buckets[i]);
        Interlocked.Add(ref figures.DurationMicros, (long)(seconds * 1_000_000));
    }

    /// <summary>The text exposition; <paramref name="webhooks"/> are counts read from the database (null when it is unreachable).</summary>
    public string Render(IWritePath writePath, WebhookFigures? webhooks)
    {
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        var routes = _routes.OrderBy(r => r.Key.Route, StringComparer.Ordinal).ThenBy(r => r.Key.Method, StringComparer.Ordinal).ToList();
        sb.Append("# HELP patron_http_requests_total HTTP requests answered, by method, route and status class.\n# TYPE patron_http_requests_total counter\n");
        foreach (var ((method, route), figures) in routes)
        {
            for (var c = 1; c <= 5; c++)
            {
                if (Interlocked.Read(ref figures.ByClass[c]) is var count and > 0)
                {
                    sb.Append(inv, $"patron_http_requests_total{{method=\"{method}\",route=\"{Escape(route)}\",class=\"{c}xx\"}} {count}\n");
                }
            }
        }
        sb.Append("# HELP patron_http_request_duration_seconds Time to answer a request, by method and route.\n# TYPE patron_http_request_duration_seconds histogram\n");
        foreach (var ((method, route), figures) in routes)
        {
            var labels = $"method=\"{method}\",route=\"{Escape(route)}\"";
            long cumulative = 0;
            for (var i = 0; i < figures.Buckets.Length; i++)
            {
                cumulative += Interlocked.Read(ref figures.Buckets[i]);
                var le = i < BucketsSeconds.Length ? BucketsSeconds[i].ToString(inv) : "+Inf";
                sb.Append(inv, $"patron_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}\n");
            }
            sb.Append(inv, $"patron_http_request_duration_seconds_sum{{{labels}}} {Interlocked.Read(ref figures.DurationMicros) / 1_000_000.0}\n");
            sb.Append(inv, $"patron_http_request_duration_seconds_count{{{labels}}} {cumulative}\n");
        }
        if (writePath is SqliteWritePath sqlite)
        {
            Metric(sb, "patron_write_queue_depth", "gauge", "Write operations waiting for the SQLite group-commit writer.", sqlite.QueueDepth);
            sb.Append("# HELP patron_write_batch_size Write operations committed together in one transaction by the SQLite group-commit writer.\n# TYPE patron_write_batch_size histogram\n");
            var sizes = sqlite.BatchSizes;
            long cumulative = 0;
            for (var i = 0; i < sizes.Length; i++)
            {
                cumulative += sizes[i];
                var le = i < SqliteWritePath.BatchSizeBounds.Length ? SqliteWritePath.BatchSizeBounds[i].ToString(inv) : "+Inf";
                sb.Append(inv, $"patron_write_batch_size_bucket{{le=\"{le}\"}} {cumulative}\n");
            }
            sb.Append(inv, $"patron_write_batch_size_sum {sqlite.Operations}\n");
            sb.Append(inv, $"patron_write_batch_size_count {sqlite.Batches}\n");
            Metric(sb, "patron_write_batches_total", "counter", "Transactions committed by the SQLite group-commit writer.", sqlite.Batches);
            Metric(sb, "patron_write_operations_total", "counter", "Write operations committed by the SQLite group-commit writer.", sqlite.Operations);
            Metric(sb, "patron_write_busy_seconds_total", "counter",
                "Time the SQLite group-commit writer spent running its transactions, from BEGIN to COMMIT.", sqlite.BusyTicks / (double)Stopwatch.Frequency);
            Metric(sb, "patron_write_log_syncs_total", "counter",
                "Syncs of the SQLite log made beside the writer (each covers every commit before it).", sqlite.LogSyncs);
            Metric(sb, "patron_write_log_sync_seconds_total", "counter", "Time those syncs of the log took.",
                sqlite.LogSyncTicks / (double)Stopwatch.Frequency);
        }
        if (webhooks is { } w)
        {
            Metric(sb, "patron_webhook_backlog", "gauge", "Webhook deliveries waiting to be sent or retried.", w.Pending);
            Metric(sb, "patron_webhook_retrying", "gauge", "Pending webhook deliveries whose earlier attempts failed.", w.Retrying);
            Metric(sb, "patron_webhook_failed", "gauge", "Webhook deliveries that failed for good (every attempt used).", w.Failed);
        }
        using var process = Process.GetCurrentProcess();
        sb.Append("# TYPE process_resident_memory_bytes gauge\n");
        sb.Append(inv, $"process_resident_memory_bytes {process.WorkingSet64}\n");
        sb.Append("# TYPE dotnet_gc_heap_bytes gauge\n");
        sb.Append(inv, $"dotnet_gc_heap_bytes {GC.GetTotalMemory(false)}\n");
        sb.Append("# HELP dotnet_gc_allocated_bytes_total Bytes allocated on the managed heap since the process started.\n# TYPE dotnet_gc_allocated_bytes_total counter\n");
        sb.Append(inv, $"dotnet_gc_allocated_bytes_total {GC.GetTotalAllocatedBytes()}\n");
        return sb.ToString();
    }

    /// <summary>One metric without labels: its help, its type and its value.</summary>
    private static void Metric(StringBuilder sb, string name, string type, string help, double value) =>
        sb.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} {type}\n{name} {value}\n");

    /// <summary>The webhook deliveries of every program: pending (of which retrying) and failed for good.</summary>
    public static Task<WebhookFigures> ReadWebhookFiguresAsync(Database database) =>
        database.ReadAsync(async sql =>
        {
            var rows = await sql.ListAsync(
                "SELECT status, CASE WHEN attempts > 0 THEN 1 ELSE 0 END, COUNT(*) FROM webhook_deliveries WHERE status <> 'succeeded' GROUP BY status, CASE WHEN attempts > 0 THEN 1 ELSE 0 END",
                r => (Status: r.GetString(0), Retried: Convert.ToInt32(r.GetValue(1), CultureInfo.InvariantCulture) == 1, Count: Convert.ToInt64(r.GetValue(2), CultureInfo.InvariantCulture)));
            return new WebhookFigures(
                rows.Where(r => r.Status == Webhooks.WebhookDeliveryStatus.Pending).Sum(r => r.Count),
                rows.Where(r => r.Status == Webhooks.WebhookDeliveryStatus.Pending && r.Retried).Sum(r => r.Count),
                rows.Where(r => r.Status == Webhooks.WebhookDeliveryStatus.Failed).Sum(r => r.Count));
        });

    private static string Escape(string label) => label.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private sealed class RouteFigures
    {
        public readonly long[] ByClass = new long[6];
        public readonly long[] Buckets = new long[BucketsSeconds.Length + 1];
        public long DurationMicros;
    }
}

public readonly record struct WebhookFigures(long Pending, long Retrying, long Failed);
