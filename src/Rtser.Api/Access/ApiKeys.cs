using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;

namespace Rtser.Api.Access;

/// <summary>
/// Optional API keys (Rtser:ApiKeys, name -> key) as two authentication schemes. With keys configured, the /api
/// endpoints (<see cref="TenantPolicy"/>) need a tenant's key, in the X-Api-Key header, as "Authorization: Bearer",
/// or (for the WebSocket, which browsers cannot give headers) the "key" query parameter; the key's name becomes the
/// principal's name, the owner of its predictions. /metrics (<see cref="MetricsPolicy"/>) needs Rtser:MetricsKey
/// instead, because its counts span every tenant. Without keys both policies let everyone in. The page and /healthz
/// stay open. Keys are compared by hash in constant time and never logged.
/// </summary>
public static class ApiKeys
{
    public const string Scheme = "ApiKey";
    public const string MetricsScheme = "MetricsKey";
    public const string TenantPolicy = "Tenant";
    public const string MetricsPolicy = "Metrics";

    public static IServiceCollection AddApiKeys(this IServiceCollection services)
    {
        services.AddSingleton<WrongKeyThrottle>();
        services.AddAuthentication()
            .AddScheme<ApiKeyOptions, ApiKeyHandler>(Scheme, null)
            .AddScheme<ApiKeyOptions, ApiKeyHandler>(MetricsScheme, null);

        // Each scheme's keys are hashed once, into its options (cached per scheme), not on every request.
        services.AddOptions<ApiKeyOptions>(Scheme).Configure<IOptions<RtserOptions>>((o, options) => o.Keys = Configured(options.Value.ApiKeys));
        services.AddOptions<ApiKeyOptions>(MetricsScheme).Configure<IOptions<RtserOptions>>((o, options) =>
            (o.Metrics, o.Keys) = (true, Configured(options.Value.MetricsKey is { } m ? [new("metrics", m)] : [])));
        services.AddAuthorization();
        services.AddOptions<AuthorizationOptions>().Configure<IOptions<RtserOptions>>((authorization, options) =>
        {
            bool keysOn = Configured(options.Value.ApiKeys).Length > 0;
            authorization.AddPolicy(TenantPolicy, p => Require(p, keysOn, Scheme));
            authorization.AddPolicy(MetricsPolicy, p => Require(p, keysOn, MetricsScheme));
        });
        return services;
    }

    /// <summary>The owner of what this caller saves and sees: its key's name, or null when keys are off.</summary>
    public static string? Owner(this ClaimsPrincipal user) =>
        user?.Identities.FirstOrDefault(i => i.AuthenticationType == Scheme && i.IsAuthenticated)?.Name;

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

    internal static (string Name, byte[] Hash)[] Configured(IEnumerable<KeyValuePair<string, string>> keys) =>
        [.. keys.Where(kv => !string.IsNullOrEmpty(kv.Value)).Select(kv => (kv.Key, Hash(kv.Value)))];

    private static void Require(AuthorizationPolicyBuilder policy, bool keysOn, string scheme)
    {
        if (keysOn)
        {
            policy.AddAuthenticationSchemes(scheme).RequireAuthenticatedUser();
        }
        else
        {
            policy.RequireAssertion(_ => true);
        }
    }
}

public sealed class ApiKeyOptions : AuthenticationSchemeOptions
{
    /// <summary>Accept only Rtser:MetricsKey (the operator's), not the tenants' keys.</summary>
    public bool Metrics { get; set; }

    /// <summary>The keys this scheme accepts, by name, hashed (<see cref="ApiKeys.Hash"/>).</summary>
    internal (string Name, byte[] Hash)[] Keys { get; set; } = [];
}

/// <summary>
/// Checks the presented key against the tenants' keys (or the metrics key) and answers a refusal with an RFC 7807
/// body: 401, or 429 while the caller's address is locked out by <see cref="WrongKeyThrottle"/>.
/// </summary>
public sealed class ApiKeyHandler(
    IOptionsMonitor<ApiKeyOptions> schemeOptions, ILoggerFactory logger, UrlEncoder encoder,
    WrongKeyThrottle throttle, IProblemDetailsService problems)
    : AuthenticationHandler<ApiKeyOptions>(schemeOptions, logger, encoder)
{
    private string? _presented;
    private bool _lockedOut;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        _presented = ApiKeys.Presented(Request);
        if (_presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // The metrics key is the operator's, so a wrong one is not a tenant's guess and does not lock the address out.
        string address = Context.Connection.RemoteIpAddress?.ToString() ?? "";
        if (!Options.Metrics && throttle.IsLockedOut(address))
        {
            // Refused before the key is looked at, so a locked-out guesser learns nothing from its next guesses.
            _lockedOut = true;
            return Task.FromResult(AuthenticateResult.Fail("too many wrong API keys from this address"));
        }

        string? name = Match(Options.Keys, _presented);
        if (name is null)
        {
            if (!Options.Metrics)
            {
                throttle.CountWrongKey(address);
            }

            return Task.FromResult(AuthenticateResult.Fail("the API key is not valid"));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], Scheme.Name);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        await HandleAuthenticateOnceSafeAsync();
        if (_lockedOut)
        {
            int seconds = throttle.RetryAfterSeconds;
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await WriteAsync(429, "Too many requests", $"too many wrong API keys from this address; retry after {seconds} s");
            return;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "ApiKey header=\"X-Api-Key\"";
        await WriteAsync(401, "Unauthorized", Options.Metrics
            ? "with API keys on, /metrics needs the operator's Rtser:MetricsKey; tenants' keys do not open it"
            : _presented is null ? "this service needs an API key: send it in the X-Api-Key header" : "the API key is not valid");
    }

    private async Task WriteAsync(int status, string title, string detail) =>
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = { Status = status, Title = title, Detail = detail } });

    private static string? Match((string Name, byte[] Hash)[] keys, string presented)
    {
        byte[] hash = ApiKeys.Hash(presented);
        string? owner = null;
        foreach ((string name, byte[] keyHash) in keys)
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

/// <summary>
/// An address that presents Rtser:FailedKeyAttemptsPerMinute wrong keys gets 429 for every request with a key, right
/// keys included, until its allowance refills: otherwise guessing would run at the speed of the network, and the rate
/// limit (per key) never sees a caller without one. Only presented keys count: a request without one guesses nothing,
/// and the page's first requests carry none.
/// </summary>
public sealed class WrongKeyThrottle : IDisposable
{
    private readonly int _perMinute;
    private readonly PartitionedRateLimiter<string> _failures;

    public WrongKeyThrottle(IOptions<RtserOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _perMinute = options.Value.FailedKeyAttemptsPerMinute;
        _failures = PartitionedRateLimiter.Create<string, string>(address =>
            RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(1, _perMinute),
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromMinutes(1.0 / Math.Max(1, _perMinute)),
                QueueLimit = 0,
                AutoReplenishment = true,
            }));
    }

    public int RetryAfterSeconds => (int)Math.Ceiling(60.0 / Math.Max(1, _perMinute));

    public bool IsLockedOut(string address) => _perMinute > 0 && _failures.GetStatistics(address)?.CurrentAvailablePermits == 0;

    public void CountWrongKey(string address)
    {
        if (_perMinute > 0)
        {
            using RateLimitLease counted = _failures.AttemptAcquire(address);
        }
    }

    public void Dispose() => _failures.Dispose();
}
