using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Rtser.Api.Access;

/// <summary>
/// Per-caller rate limit on /api: a token bucket per API key name (or per client address without keys) that
/// holds a tenth of a minute's allowance and refills every second. Refusals are 429 problems with Retry-After.
/// </summary>
public static class RateLimits
{
    public static void Configure(RateLimiterOptions limiter)
    {
        ArgumentNullException.ThrowIfNull(limiter);
        limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
        {
            int perMinute = http.RequestServices.GetRequiredService<IOptions<RtserOptions>>().Value.RateLimitPerMinute;
            if (perMinute == 0 || !http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
            {
                return RateLimitPartition.GetNoLimiter("open");
            }

            string caller = http.User.Owner() is { } owner ? "key:" + owner : "ip:" + http.Connection.RemoteIpAddress;
            return RateLimitPartition.GetTokenBucketLimiter(caller, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, perMinute / 10),
                TokensPerPeriod = Math.Max(1, (int)Math.Ceiling(perMinute / 60.0)),
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
        });
        limiter.OnRejected = async (context, cancel) =>
        {
            HttpContext http = context.HttpContext;
            int seconds = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out TimeSpan after) ? (int)Math.Ceiling(after.TotalSeconds) : 1;
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = Math.Max(1, seconds).ToString(CultureInfo.InvariantCulture);
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = { Status = 429, Title = "Too many requests", Detail = $"the rate limit is {http.RequestServices.GetRequiredService<IOptions<RtserOptions>>().Value.RateLimitPerMinute} requests per minute; retry after {Math.Max(1, seconds)} s" },
            });
        };
    }
}
