using System.Text.Json;
using DmVoice.Gateway.Hosting;
using DmVoice.Gateway.Observability;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace DmVoice.Gateway.Problems;

/// <summary>
/// Turns every exception into problem details: grain errors keep their code, bad bodies become
/// 400/413, a transient fault of the cluster a 503 <c>temporarily_unavailable</c> with Retry-After
/// (see <see cref="TransientFaults"/>), and anything else a logged 500 that reveals nothing.
/// </summary>
public sealed partial class ProblemExceptionHandler(
    IOptions<GatewayOptions> options,
    GatewayMetrics metrics,
    ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (code, detail, retryAfter) = Classify(exception, options.Value);
        var request = httpContext.Request;
        if (code == ErrorCodes.InternalError)
        {
            LogUnhandled(exception, request.Method, request.Path, httpContext.TraceIdentifier);
            metrics.InternalError("rest");
        }
        else if (code == ErrorCodes.TemporarilyUnavailable)
        {
            LogTransient(request.Method, request.Path, httpContext.TraceIdentifier, exception.GetType().Name, exception.Message);
            metrics.Unavailable("rest");
        }

        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        await Problem.WriteAsync(httpContext, code, detail, retryAfter);
        return true;
    }

    /// <summary>The stable code, the detail a client may see, and how long to wait before retrying.</summary>
    internal static (string Code, string Detail, TimeSpan? RetryAfter) Classify(Exception exception, GatewayOptions options) => exception switch
    {
        DmVoiceException dm => (dm.Code, dm.Message, dm.RetryAfter),
        BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
            (ErrorCodes.PayloadTooLarge, "The request body is larger than allowed.", null),
        BadHttpRequestException bad => (ErrorCodes.MalformedRequest, Describe(bad), null),
        JsonException json => (ErrorCodes.MalformedRequest, json.Message, null),
        _ when TransientFaults.IsTransient(exception) => (
            ErrorCodes.TemporarilyUnavailable,
            "Part of the service could not be reached just now; nothing is wrong with the request. Try it again shortly.",
            options.UnavailableRetryAfter),
        _ => (ErrorCodes.InternalError, "An unexpected error occurred; it has been logged.", null),
    };

    private static string Describe(BadHttpRequestException exception) =>
        exception.InnerException is JsonException json
            ? $"The body is not valid JSON of the expected shape: {json.Message}"
            : exception.Message;

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path} (traceId {TraceId})")]
    private partial void LogUnhandled(Exception exception, string method, string path, string traceId);

    // A warning without the stack: during a failover there are many, and each is expected.
    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered 503 temporarily_unavailable to {Method} {Path} (traceId {TraceId}): {Fault}: {Detail}")]
    private partial void LogTransient(string method, string path, string traceId, string fault, string detail);
}
