using System.Diagnostics;
using Microsoft.AspNetCore.Http.HttpResults;
using Rtser.Api.Access;

namespace Rtser.Api.Observability;

/// <summary>/metrics, and the middleware that counts every request by its route template.</summary>
public static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/metrics", Scrape)
            .WithTags("Health")
            .WithSummary("Prometheus metrics: requests, latency, inference time per model, queue depth, predictions per label")
            .WithDescription("Open when API keys are off; with keys on it needs Rtser:MetricsKey (as X-Api-Key or Bearer), because its counts span every key's predictions.")
            .RequireAuthorization(ApiKeys.MetricsPolicy);
        return routes;
    }

    internal static ContentHttpResult Scrape(RtserMetrics metrics) =>
        TypedResults.Text(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");

    private const string ClientGone = "rtser.client-gone";

    /// <summary>Counts the request as 499 even if the server noticed the client leave (a body cut short) before the connection closed.</summary>
    public static void MarkClientGone(HttpContext http) => http.Items[ClientGone] = true;

    public static IApplicationBuilder UseRequestMetrics(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
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
            http.RequestServices.GetRequiredService<RtserMetrics>()
                .Request(http.Request.Method, route, status, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    });
}
