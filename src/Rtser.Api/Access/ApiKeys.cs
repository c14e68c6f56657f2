using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Rtser.Api.Access;

/// <summary>Who is calling: the configured name of their API key, or null when keys are off.</summary>
public static class Caller
{
    private const string Key = "rtser.owner";

    public static string? Owner(HttpContext http) => http?.Items[Key] as string;

    internal static void SetOwner(HttpContext http, string owner) => http.Items[Key] = owner;
}

/// <summary>
/// Optional API keys (Rtser:ApiKeys, name -> key). With keys configured every /api request needs one, in the
/// X-Api-Key header, as "Authorization: Bearer", or (for the WebSocket, which browsers cannot give headers)
/// the "key" query parameter; each key then sees only its own predictions. The page, /healthz and /metrics
/// stay open. Keys are compared by hash in constant time and never logged. An address that presents
/// Rtser:FailedKeyAttemptsPerMinute wrong keys gets 429 for every request with a key, right keys included, until its
/// allowance refills: otherwise guessing would run at the speed of the network, and the rate limit (per key) never
/// sees a caller without one.
/// </summary>
public sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<RtserOptions> options, IProblemDetailsService problems) : IDisposable
{
    private readonly (string Name, byte[] Hash)[] _keys = [.. options.Value.ApiKeys
        .Where(kv => !string.IsNullOrEmpty(kv.Value))
        .Select(kv => (kv.Key, Hash(kv.Value)))];

    private readonly int _failuresPerMinute = options.Value.FailedKeyAttemptsPerMinute;

    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, options.Value.FailedKeyAttemptsPerMinute),
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromMinutes(1.0 / Math.Max(1, options.Value.FailedKeyAttemptsPerMinute)),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    public void Dispose() => _failures.Dispose();

    public async Task InvokeAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (_keys.Length == 0 || !http.Request.Path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase))
        {
            await next(http);
            return;
        }

        // Only presented keys count: a request without one guesses nothing, and the page's first requests carry none.
        string? presented = Presented(http.Request);
        string address = http.Connection.RemoteIpAddress?.ToString() ?? "";
        if (presented is not null && _failuresPerMinute > 0 && _failures.GetStatistics(address)?.CurrentAvailablePermits == 0)
        {
            // Refused before the key is looked at, so a locked-out guesser learns nothing from its next guesses.
            int seconds = (int)Math.Ceiling(60.0 / _failuresPerMinute);
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = { Status = 429, Title = "Too many requests", Detail = $"too many wrong API keys from this address; retry after {seconds} s" },
            });
            return;
        }

        string? owner = presented is null ? null : Match(presented);
        if (owner is null)
        {
            if (presented is not null && _failuresPerMinute > 0)
            {
                using RateLimitLease counted = _failures.AttemptAcquire(address);
            }

            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "ApiKey header=\"X-Api-Key\"";
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = { Status = 401, Title = "Unauthorized", Detail = presented is null ? "this service needs an API key: send it in the X-Api-Key header" : "the API key is not valid" },
            });
            return;
        }

        Caller.SetOwner(http, owner);
        await next(http);
    }

    /// <summary>The key a request presents: X-Api-Key, else a Bearer token, else (live stream only) ?key=.</summary>
    internal static string? Presented(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var header) && !string.IsNullOrEmpty(header))
        {
            return header.ToString();
        }

        string authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return request.Path.StartsWithSegments("/api/stream", StringComparison.OrdinalIgnoreCase) && request.Query.TryGetValue("key", out var q) ? q.ToString() : null;
    }

    /// <summary>What keys are compared by: equal-length digests, so <see cref="CryptographicOperations.FixedTimeEquals"/> applies.</summary>
    internal static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    private string? Match(string presented)
    {
        byte[] hash = Hash(presented);
        string? owner = null;
        foreach ((string name, byte[] keyHash) in _keys)
        {
            // Every key is compared, so timing says nothing about which one (or how much of one) matched.
            if (CryptographicOperations.FixedTimeEquals(hash, keyHash))
            {
                owner = name;
            }
        }

        return owner;
    }
}
