using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Rtser.Api.Analysis;
using Rtser.Api.Live;

namespace Rtser.Api.Observability;

/// <summary>
/// Counters and histograms for /metrics in Prometheus' text format. Hand-rolled because it is a few dozen
/// lines and the exporter packages are not needed for it; label values come from our own routes, models and
/// labels, never from request data, so the series stay bounded.
/// </summary>
public sealed class RtserMetrics(InferenceGate gate, LiveStreamSlots liveStreams)
{
    private static readonly double[] Buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly ConcurrentDictionary<string, long> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Histogram> _requestSeconds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Histogram> _inferenceSeconds = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _predictions = new(StringComparer.Ordinal);
    private long _rejected;

    public void Request(string method, string route, int status, double seconds)
    {
        _requests.AddOrUpdate(Labels(("method", method), ("route", route), ("status", status.ToString(CultureInfo.InvariantCulture))), 1, (_, n) => n + 1);
        _requestSeconds.GetOrAdd(Labels(("route", route)), _ => new Histogram()).Observe(seconds);
    }

    public void Prediction(string model, string label, double analysisSeconds)
    {
        _inferenceSeconds.GetOrAdd(Labels(("model", model)), _ => new Histogram()).Observe(analysisSeconds);
        _predictions.AddOrUpdate(Labels(("model", model), ("label", label)), 1, (_, n) => n + 1);
    }

    public void Rejected() => Interlocked.Increment(ref _rejected);

    public string Render()
    {
        var o = new StringBuilder();
        Counter(o, "rtser_http_requests_total", "HTTP requests by method, route and status.", _requests);
        Histograms(o, "rtser_http_request_duration_seconds", "HTTP request time by route.", _requestSeconds);
        Histograms(o, "rtser_inference_seconds", "Decoding, features and inference per upload, by model.", _inferenceSeconds);
        Counter(o, "rtser_predictions_total", "Predictions by model and overall label.", _predictions);
        Gauge(o, "rtser_inference_queue_depth", "Uploads waiting for an analysis slot.", gate.Waiting);
        Gauge(o, "rtser_inference_in_flight", "Uploads being analysed.", gate.Running);
        Gauge(o, "rtser_live_streams", "Open live streams.", liveStreams.Open);
        o.Append("# HELP rtser_rejected_total Requests refused because the analysis queue was full.\n# TYPE rtser_rejected_total counter\n")
            .Append(CultureInfo.InvariantCulture, $"rtser_rejected_total {Interlocked.Read(ref _rejected)}\n");
        return o.ToString();
    }

    private static string Labels(params (string Name, string Value)[] labels) =>
        string.Join(',', labels.Select(l => $"{l.Name}=\"{l.Value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal)}\""));

    private static void Counter(StringBuilder o, string name, string help, ConcurrentDictionary<string, long> series)
    {
        o.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} counter\n");
        foreach (var (labels, value) in series.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            o.Append(CultureInfo.InvariantCulture, $"{name}{{{labels}}} {value}\n");
        }
    }

    private static void Gauge(StringBuilder o, string name, string help, long value) =>
        o.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n");

    private static void Histograms(StringBuilder o, string name, string help, ConcurrentDictionary<string, Histogram> series)
    {
        o.Append(CultureInfo.InvariantCulture, $"# HELP {name} {help}\n# TYPE {name} histogram\n");
        foreach (var (labels, h) in series.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            (long[] counts, long total, double sum) = h.Snapshot();
            long cumulative = 0;
            for (int i = 0; i < Buckets.Length; i++)
            {
                cumulative += counts[i];
                o.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"{Buckets[i]}\"}} {cumulative}\n");
            }

            o.Append(CultureInfo.InvariantCulture, $"{name}_bucket{{{labels},le=\"+Inf\"}} {total}\n");
            o.Append(CultureInfo.InvariantCulture, $"{name}_sum{{{labels}}} {sum}\n{name}_count{{{labels}}} {total}\n");
        }
    }

    private sealed class Histogram
    {
        private readonly long[] _counts = new long[Buckets.Length + 1];
        private long _total;
        private double _sum;

        public void Observe(double value)
        {
            int i = 0;
            while (i < Buckets.Length && value > Buckets[i])
            {
                i++;
            }

            lock (_counts)
            {
                _counts[i]++;
                _total++;
                _sum += value;
            }
        }

        public (long[] Counts, long Total, double Sum) Snapshot()
        {
            lock (_counts)
            {
                return ((long[])_counts.Clone(), _total, _sum);
            }
        }
    }
}
