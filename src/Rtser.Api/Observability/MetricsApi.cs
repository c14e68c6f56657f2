using System.Diagnostics;
using System.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Rtser.Api.Access;

namespace Rtser.Api.Observability;

/// <summary>/metrics, and the middleware that counts every request by its route template.</summary>
public static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder routes)
    {
        // No tags or summary: the exporter's endpoint is not in the OpenAPI document (docs/api.md describes it).
        routes.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(ApiKeys.MetricsPolicy);
        return routes;
    }

    public static IServiceCollection AddRtserMetrics(this IServiceCollection services)
    {
        services.AddSingleton<RtserMetrics>();
        services.AddOpenTelemetry().ConfigureResource(r => r.AddService("rtser")).WithMetrics(metrics => metrics
            .AddMeter(RtserMetrics.MeterName)

            // A scrape shows the counts as they are: the exporter's default caches its answer for 300 ms.
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));

        // The exporter listens by meter name, process-wide: a second host in the process (the tests run many) would
        // count into this one's series. Only this host's IMeterFactory's meters are its own.
        services.ConfigureOpenTelemetryMeterProvider(static (sp, builder) => builder.AddView(OwnMetersOnly(sp.GetRequiredService<IMeterFactory>())));
        return services;
    }

    private static Func<Instrument, MetricStreamConfiguration?> OwnMetersOnly(IMeterFactory own) =>
        instrument => instrument.Meter.Scope is null || ReferenceEquals(instrument.Meter.Scope, own) ? null : MetricStreamConfiguration.Drop;

    private const string ClientGone = "rtser.client-gone";

    /// <summary>Counts the request as 499 even if the server noticed the client leave (a body cut short) before the connection closed.</summary>
    public static void MarkClientGone(HttpContext http) => http.Items[ClientGone] = true;

    public static IApplicationBuilder UseRequestMetrics(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        // Resolved first, so the gauges exist from the first request on, /metrics' own included.
        RtserMetrics metrics = http.RequestServices.GetRequiredService<RtserMetrics>();
        long start = Stopwatch.GetTimestamp();
        int? thrown = null;
        try
        {
            await next(http);
        }
        catch (BadHttpRequestException e)
        {
            thrown = e.StatusCode;
            throw;
        }
        catch
        {
            thrown = StatusCodes.Status500InternalServerError;
            throw;
        }
        finally
        {
            // The template, not the path, so ids do not become label values. A request the client abandoned counts as
            // 499 and one that threw as 500 (the exception handler outside sets the status only after this runs).
            string route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? (http.GetEndpoint() is null ? "unmatched" : "static");
            int status = http.RequestAborted.IsCancellationRequested || http.Items.ContainsKey(ClientGone) ? 499 : thrown ?? http.Response.StatusCode;
            metrics.Request(http.Request.Method, route, status, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    });
}
