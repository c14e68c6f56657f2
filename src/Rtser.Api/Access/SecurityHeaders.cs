namespace Rtser.Api.Access;

/// <summary>Headers that keep the page from being framed, sniffed or fed scripts from elsewhere.</summary>
public static class SecurityHeaders
{
    /// <summary>Only our own scripts; media and workers from blobs (recordings, the audio worklet); connections to us only.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; " +
        "worker-src 'self' blob:; connect-src {0}; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    /// <summary>
    /// The page's own origin, and WebSockets to its host: older Safari does not count ws: to the same host as 'self'.
    /// A Host header that is not a plain host[:port] gets 'self' alone, so it can never add a directive.
    /// </summary>
    public static string ConnectSources(HostString host) =>
        host.HasValue && host.Value.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '[' or ']')
            ? $"'self' ws://{host.Value} wss://{host.Value}"
            : "'self'";

    public static IApplicationBuilder UseSecurityHeaders(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        http.Response.OnStarting(() =>
        {
            var h = http.Response.Headers;
            h.XContentTypeOptions = "nosniff";
            h.XFrameOptions = "DENY";
            h["Referrer-Policy"] = "no-referrer";
            h["Permissions-Policy"] = "microphone=(self), camera=(), geolocation=()";
            h["Cross-Origin-Opener-Policy"] = "same-origin";
            h["X-Request-Id"] = http.TraceIdentifier;

            // Swagger UI ships its own inline bootstrap; everything else gets the strict policy.
            if (!http.Request.Path.StartsWithSegments("/swagger", StringComparison.OrdinalIgnoreCase))
            {
                h.ContentSecurityPolicy = string.Format(System.Globalization.CultureInfo.InvariantCulture, ContentSecurityPolicy, ConnectSources(http.Request.Host));
            }

            return Task.CompletedTask;
        });
        await next(http);
    });
}
