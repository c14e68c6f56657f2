using System.Diagnostics;

namespace Rtser.Api.Observability;

/// <summary>/metrics, and the middleware that counts every request by its route template.</summary>
public static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/metrics", (RtserMetrics metrics) => TypedResults.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8"))
            .WithTags("Health")
            .WithSummary("Prometheus metrics: requests, latency, inference time per model, queue depth, predictions per label");
        return routes;
    }

    public static IApplicationBuilder UseRequestMetrics(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            await next(http);
        }
        finally
        {
            // The template, not the path, so ids do not become label values.
            string route = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? (http.GetEndpoint() is null ? "unmatched" : "static");
            http.RequestServices.GetRequiredService<RtserMetrics>()
                .Request(http.Request.Method, route, http.Response.StatusCode, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    });
}
