using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace DmVoice.Gateway.Problems;

/// <summary>Writes RFC 7807 problem details with a stable <c>code</c> extension.</summary>
public static class Problem
{
    public const string ContentType = "application/problem+json";

    public static ProblemDetails Create(HttpContext context, string code, string? detail, TimeSpan? retryAfter = null)
    {
        var (status, title) = ErrorStatus.For(code);
        var problem = new ProblemDetails
        {
            Type = $"urn:dmvoice:error:{code}",
            Title = title,
            Status = status,
            Detail = detail,
            Instance = context.Request.Path,
        };
        problem.Extensions["code"] = code;
        problem.Extensions["traceId"] = context.TraceIdentifier;
        if (retryAfter is { } wait)
        {
            var seconds = (int)Math.Ceiling(wait.TotalSeconds);
            problem.Extensions["retryAfterSeconds"] = seconds;
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return problem;
    }

    public static async Task WriteAsync(HttpContext context, string code, string? detail, TimeSpan? retryAfter = null)
    {
        var problem = Create(context, code, detail, retryAfter);
        context.Response.StatusCode = problem.Status!.Value;
        await context.Response.WriteAsJsonAsync(problem, (System.Text.Json.JsonSerializerOptions?)null, ContentType, context.RequestAborted);
    }

    /// <summary>An endpoint result for a problem.</summary>
    public static ProblemHttpResult Result(HttpContext context, string code, string? detail, TimeSpan? retryAfter = null) =>
        TypedResults.Problem(Create(context, code, detail, retryAfter));
}
