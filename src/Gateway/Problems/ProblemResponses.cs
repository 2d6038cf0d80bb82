namespace DmVoice.Gateway.Problems;

/// <summary>Declares problem responses (application/problem+json) for the OpenAPI document.</summary>
internal static class ProblemResponses
{
    /// <summary>
    /// What any authenticated API endpoint may answer besides its own problems: 401 without a valid
    /// token, 429 over the rate limit, 503 <c>temporarily_unavailable</c> during a fault of the cluster,
    /// and 500 for a bug.
    /// </summary>
    public static readonly int[] Common =
    [
        StatusCodes.Status401Unauthorized, StatusCodes.Status429TooManyRequests,
        StatusCodes.Status500InternalServerError, StatusCodes.Status503ServiceUnavailable,
    ];

    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), [Problem.ContentType]));
        }

        return builder;
    }
}
