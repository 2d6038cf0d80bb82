namespace DmVoice.Gateway.Endpoints;

internal static class ProblemResponses
{
    /// <summary>Declares the problem statuses an endpoint answers with, for the OpenAPI document (401 and 429 always).</summary>
    public static RouteHandlerBuilder ProducesProblems(this RouteHandlerBuilder endpoint, params int[] statuses)
    {
        foreach (var status in statuses.Append(StatusCodes.Status401Unauthorized).Append(StatusCodes.Status429TooManyRequests).Distinct())
        {
            endpoint.ProducesProblem(status);
        }

        return endpoint;
    }
}
