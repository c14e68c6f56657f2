using Microsoft.AspNetCore.Http.HttpResults;
using Rtser.Api.Store;
using Rtser.Inference;

namespace Rtser.Api.Health;

public sealed record Health(string Status, int Models, bool Store);

/// <summary>/healthz: ready when the models are loaded and the store answers.</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/healthz", CheckAsync).WithTags("Health").WithSummary("Readiness: models loaded and store reachable");
        return routes;
    }

    internal static async Task<Results<Ok<Health>, JsonHttpResult<Health>>> CheckAsync(ModelRegistry models, IPredictionStore store, CancellationToken cancel)
    {
        bool storeOk = await store.PingAsync(cancel);
        int count = models.Models.Count;
        return storeOk && count > 0
            ? TypedResults.Ok(new Health("ready", count, true))
            : TypedResults.Json(new Health("unavailable", count, storeOk), statusCode: StatusCodes.Status503ServiceUnavailable);
    }
}
