using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Rtser.Api.Problems;

/// <summary>
/// Kestrel answers an over-long request line with a bare 414 before any of our code runs. Its limit is raised well
/// above ours, so the usual 8 KiB is enforced here, where the caller gets a problem body saying what the limit is.
/// </summary>
public static class RequestTargetLimit
{
    public const int MaxBytes = 8 * 1024;

    /// <summary>Kestrel's own limit; past it the bare 414 remains (it must stay below Kestrel's 1 MiB request buffer).</summary>
    public const int ServerMaxBytes = 512 * 1024;

    public static IServiceCollection AddRequestTargetLimit(this IServiceCollection services) =>
        services.Configure<KestrelServerOptions>(k => k.Limits.MaxRequestLineSize = ServerMaxBytes);

    public static IApplicationBuilder UseRequestTargetLimit(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        long length = (http.Request.Path.Value?.Length ?? 0) + (http.Request.QueryString.Value?.Length ?? 0);
        if (length > MaxBytes)
        {
            await Problems.Create(StatusCodes.Status414UriTooLong, "URI too long", $"the path and query are {length} bytes; the limit is {MaxBytes}").ExecuteAsync(http);
            return;
        }

        await next(http);
    });
}
