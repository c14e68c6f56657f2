using Microsoft.Extensions.Options;

namespace Rtser.Api.Access;

/// <summary>
/// Refuses (403) writes and live-stream handshakes that a browser sends from another site's page. A cross-origin
/// multipart POST needs no CORS preflight and a WebSocket none at all, so without this check any page a user
/// visits could store predictions in, or stream into, a keyless service on their network. Browsers always send
/// Origin on such requests; scripts and curl send none and pass.
/// </summary>
public sealed class OriginCheck(RequestDelegate next, IOptions<RtserOptions> options)
{
    private readonly HashSet<string> _allowed = new(options.Value.AllowedOrigins.Select(o => new Uri(o).GetLeftPart(UriPartial.Authority)), StringComparer.OrdinalIgnoreCase);

    public async Task InvokeAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        string? origin = http.Request.Headers.Origin;
        bool guarded = !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && !HttpMethods.IsOptions(http.Request.Method)
            || http.WebSockets.IsWebSocketRequest;
        if (!guarded || string.IsNullOrEmpty(origin) || IsAllowed(origin, http.Request))
        {
            await next(http);
            return;
        }

        await Problems.Problems.Create(StatusCodes.Status403Forbidden, "Forbidden", "requests from another site's page may not write or stream here; list its origin in Rtser:AllowedOrigins to allow it")
            .ExecuteAsync(http);
    }

    private bool IsAllowed(string origin, HttpRequest request)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? u) || u.Scheme is not ("http" or "https"))
        {
            return false; // "null" (sandboxed frames, file: pages) included
        }

        // Same host and port as the request names: the service's own page, also behind a proxy that keeps Host.
        return string.Equals(u.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase) || _allowed.Contains(u.GetLeftPart(UriPartial.Authority));
    }
}
