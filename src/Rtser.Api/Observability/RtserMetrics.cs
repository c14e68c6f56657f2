using System.Diagnostics.Metrics;
using Rtser.Api.Analysis;
using Rtser.Api.Live;

namespace Rtser.Api.Observability;

/// <summary>
/// The service's instruments on the "Rtser" <see cref="Meter"/>, exported at /metrics by OpenTelemetry's Prometheus
/// exporter (which turns "rtser.http.requests" into rtser_http_requests_total and a unit of "s" into _seconds). Tag
/// values come from our own routes, models and labels, never from request data, so the series stay bounded.
/// </summary>
public sealed class RtserMetrics
{
    public const string MeterName = "Rtser";

    private static readonly InstrumentAdvice<double> Seconds = new() { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] };

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestSeconds;
    private readonly Histogram<double> _inferenceSeconds;
    private readonly Counter<long> _predictions;
    private readonly Counter<long> _rejected;

    public RtserMetrics(IMeterFactory meters, InferenceGate gate, LiveStreamSlots liveStreams)
    {
        ArgumentNullException.ThrowIfNull(meters);
        Meter meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("rtser.http.requests", description: "HTTP requests by method, route and status.");
        _requestSeconds = meter.CreateHistogram("rtser.http.request.duration", "s", "HTTP request time by route.", advice: Seconds);
        _inferenceSeconds = meter.CreateHistogram("rtser.inference", "s", "Decoding, features and inference per upload, by model.", advice: Seconds);
        _predictions = meter.CreateCounter<long>("rtser.predictions", description: "Predictions by model and overall label.");
        _rejected = meter.CreateCounter<long>("rtser.rejected", description: "Requests refused because the analysis queue was full.");
        meter.CreateObservableGauge("rtser.inference.queue_depth", () => gate.Waiting, description: "Uploads waiting for an analysis slot or for the audio budget.");
        meter.CreateObservableGauge("rtser.inference.in_flight", () => gate.Running, description: "Uploads being analysed.");
        meter.CreateObservableGauge("rtser.live_streams", () => liveStreams.Open, description: "Open live streams.");
    }

    public void Request(string method, string route, int status, double seconds)
    {
        _requests.Add(1, new("method", method), new("route", route), new("status", status));
        _requestSeconds.Record(seconds, new KeyValuePair<string, object?>("route", route));
    }

    public void Prediction(string model, string label, double analysisSeconds)
    {
        _inferenceSeconds.Record(analysisSeconds, new KeyValuePair<string, object?>("model", model));
        _predictions.Add(1, new("model", model), new("label", label));
    }

    public void Rejected() => _rejected.Add(1);
}
