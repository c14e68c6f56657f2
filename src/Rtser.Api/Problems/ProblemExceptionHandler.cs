using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Rtser.Api.Problems;

/// <summary>
/// Last line for exceptions that escape an endpoint: Kestrel's own limits keep their status (e.g. 413),
/// a client that went away gets nothing, anything else is a 500 without internals.
/// </summary>
internal sealed class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            context.Response.StatusCode = 499; // client closed request: nobody is left to read an answer
            return true;
        }

        var details = exception switch
        {
            BadHttpRequestException bad => new ProblemDetails { Status = bad.StatusCode, Title = "Bad request", Detail = Shorten(bad.Message) },
            _ => new ProblemDetails { Status = StatusCodes.Status500InternalServerError, Title = "Internal error", Detail = "the server failed to process the request; it has been logged" },
        };
        if (details.Status == StatusCodes.Status500InternalServerError)
        {
            log.LogError(exception, "Unhandled error for {Method} {Path}", context.Request.Method, context.Request.Path);
        }

        context.Response.StatusCode = details.Status!.Value;
        return await problems.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = details, Exception = exception });
    }

    // The binder quotes the value it could not bind, which can be as long as the query.
    private static string Shorten(string message) => message.Length > 300 ? message[..300] + "..." : message;
}
