using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Problems;
using DmVoice.LiveKit;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.IdentityModel.JsonWebTokens;

namespace DmVoice.Gateway.LiveKit;

internal static class LiveKitEndpoints
{
    /// <summary>
    /// POST /livekit/dm-token (authenticated) and POST /livekit/webhook (anonymous: LiveKit signs it). Both
    /// answer 503 <c>livekit_not_configured</c> when the deployment has no LiveKit.
    /// </summary>
    public static IEndpointRouteBuilder MapLiveKit(this IEndpointRouteBuilder app)
    {
        var liveKit = app.MapGroup("/livekit").WithTags("LiveKit");
        liveKit.MapPost("/dm-token", CreateDmTokenAsync)
            .RequireAuthorization()
            .WithSummary("A LiveKit token to join the DM's room (members only)")
            .ProducesProblems(ProblemResponses.Common)
            .ProducesProblems(
                StatusCodes.Status400BadRequest, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound,
                StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);

        // Authenticated by LiveKit's signature, not a user token. Not rate limited per address: all of a
        // LiveKit deployment's webhooks come from few addresses, and dropping one loses a state change.
        liveKit.MapPost("/webhook", (HttpContext http, LiveKitWebhookHandler handler) => handler.HandleAsync(http))
            .AllowAnonymous()
            .DisableRateLimiting()
            .WithSummary("LiveKit webhooks (signed by LiveKit)")
            .ProducesProblems(
                StatusCodes.Status400BadRequest, StatusCodes.Status401Unauthorized, StatusCodes.Status413PayloadTooLarge,
                StatusCodes.Status500InternalServerError, StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    internal static DmVoiceException NotConfigured() =>
        new(ErrorCodes.LiveKitNotConfigured, "This deployment has no LiveKit server configured.");

    private static async Task<Ok<LiveKitTokenResponse>> CreateDmTokenAsync(LiveKitTokenRequest request, HttpContext http, IGrainFactory grains)
    {
        var issuer = http.RequestServices.GetService<ILiveKitTokenIssuer>() ?? throw NotConfigured();
        var me = http.User.UserId();
        var dmGroupId = Validate.Id(request.RoomId, "roomId");
        if (request.Identity is not null && Validate.Id(request.Identity, "identity") != me)
        {
            throw new DmVoiceException(ErrorCodes.Forbidden, "'identity' must be your own user id.");
        }

        // The name others see in the room is the one of the caller's own token; a client cannot pick another.
        var name = http.User.DisplayName();
        if (Validate.OptionalName(request.Name, "name") is { } asked && asked != name)
        {
            throw new DmVoiceException(ErrorCodes.Forbidden, "'name' must be your own display name (the one in your token), or left out.");
        }

        // dm_not_found for non-members and unknown DMs alike.
        await grains.GetGrain<IDmGroupGrain>(dmGroupId).Get(me);

        var room = LiveKitRooms.ForDm(dmGroupId);
        var token = issuer.CreateJoinToken(room, me, name);
        var expiresAt = new DateTimeOffset(new JsonWebToken(token).ValidTo, TimeSpan.Zero);
        return TypedResults.Ok(new LiveKitTokenResponse(token, issuer.ServerUrl, room, me, expiresAt));
    }
}
