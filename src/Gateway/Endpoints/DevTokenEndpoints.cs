using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Contracts;
using DmVoice.Gateway.Problems;
using Microsoft.Extensions.Options;

namespace DmVoice.Gateway.Endpoints;

internal static class DevTokenEndpoints
{
    /// <summary>POST /dev/token, only when Auth:EnableDevTokens is on (never in Production).</summary>
    public static IEndpointRouteBuilder MapDevTokens(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<AuthOptions>>().Value.EnableDevTokens)
        {
            return app;
        }

        app.MapPost("/dev/token", (DevTokenRequest request, DevTokenIssuer issuer, IOptions<AuthOptions> options, TimeProvider time) =>
            {
                var userId = Validate.Id(request.UserId, "userId");
                var name = Validate.OptionalName(request.DisplayName, "displayName");
                var token = issuer.Issue(userId, name);
                return TypedResults.Ok(new DevTokenResponse(token, userId, time.GetUtcNow() + options.Value.DevTokenLifetime));
            })
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity, StatusCodes.Status429TooManyRequests)
            .AllowAnonymous()
            .WithTags("Development")
            .WithSummary("Mint a token for any user id (development only)");
        return app;
    }
}
