using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace DmVoice.Gateway.Problems;

/// <summary>
/// Turns every exception into problem details: grain errors keep their code, bad bodies become
/// 400/413, and anything unexpected a logged 500 that reveals nothing.
/// </summary>
public sealed partial class ProblemExceptionHandler(ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (code, detail, retryAfter) = exception switch
        {
            DmVoiceException dm => (dm.Code, dm.Message, dm.RetryAfter),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (ErrorCodes.PayloadTooLarge, "The request body is larger than allowed.", (TimeSpan?)null),
            BadHttpRequestException bad => (ErrorCodes.MalformedRequest, Describe(bad), null),
            JsonException json => (ErrorCodes.MalformedRequest, json.Message, null),
            _ => (ErrorCodes.InternalError, "An unexpected error occurred; it has been logged.", null),
        };

        if (code == ErrorCodes.InternalError)
        {
            LogUnhandled(exception, httpContext.Request.Method, httpContext.Request.Path);
        }

        if (httpContext.Response.HasStarted)
        {
            return false;
        }

        await Problem.WriteAsync(httpContext, code, detail, retryAfter);
        return true;
    }

    private static string Describe(BadHttpRequestException exception) =>
        exception.InnerException is JsonException json
            ? $"The body is not valid JSON of the expected shape: {json.Message}"
            : exception.Message;

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled error on {Method} {Path}")]
    private partial void LogUnhandled(Exception exception, string method, string path);
}
