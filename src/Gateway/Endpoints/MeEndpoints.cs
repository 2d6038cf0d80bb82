using DmVoice.Gateway.Problems;
using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DmVoice.Gateway.Endpoints;

/// <summary>What I say about myself: my status, who may invite me to voice channels, and the users I block.</summary>
internal static class MeEndpoints
{
    public static RouteGroupBuilder MapMe(this RouteGroupBuilder api)
    {
        var me = api.MapGroup("/me").WithTags("Me");
        me.MapGet("/status", GetStatusAsync)
            .WithSummary("My status as I set it (others see invisible as offline)")
            .ProducesProblems();
        me.MapPut("/status", SetStatusAsync)
            .WithSummary("Set my status: online, idle, dnd (rings are silent) or invisible")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        me.MapGet("/privacy", GetPrivacyAsync)
            .WithSummary("Who may invite me to voice channels")
            .ProducesProblems();
        me.MapPut("/privacy", SetPrivacyAsync)
            .WithSummary("Set who may invite me to voice channels: everyone (but users I block) or nobody")
            .ProducesProblems(StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status422UnprocessableEntity);
        me.MapGet("/blocks", GetBlocksAsync)
            .WithSummary("Everyone I block, most recent first")
            .ProducesProblems();
        me.MapPut("/blocks/{userId}", BlockAsync)
            .WithSummary("Block a user: they cannot open a new DM with me, and their calls do not ring me")
            .ProducesProblems(StatusCodes.Status409Conflict, StatusCodes.Status422UnprocessableEntity);
        me.MapDelete("/blocks/{userId}", UnblockAsync)
            .WithSummary("Unblock a user (also when they were not blocked)")
            .ProducesProblems(StatusCodes.Status422UnprocessableEntity);
        return api;
    }

    private static IUserSettingsGrain Settings(this IGrainFactory grains, HttpContext http) =>
        grains.GetGrain<IUserSettingsGrain>(http.User.UserId());

    private static async Task<Ok<MyStatus>> GetStatusAsync(HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(new MyStatus(await grains.Settings(http).GetStatus()));

    private static async Task<Ok<MyStatus>> SetStatusAsync(SetStatusRequest request, HttpContext http, IGrainFactory grains)
    {
        if (!UserStatuses.IsSettable(request.Status))
        {
            throw DmVoiceException.Validation($"'status' must be one of {string.Join(", ", UserStatuses.Settable)}.");
        }

        return TypedResults.Ok(new MyStatus(await grains.Settings(http).SetStatus(request.Status!)));
    }

    private static async Task<Ok<MyPrivacy>> GetPrivacyAsync(HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(new MyPrivacy(await grains.Settings(http).GetChannelInvites()));

    private static async Task<Ok<MyPrivacy>> SetPrivacyAsync(MyPrivacy request, HttpContext http, IGrainFactory grains)
    {
        if (!ChannelInviteSettings.IsValid(request.ChannelInvites))
        {
            throw DmVoiceException.Validation($"'channelInvites' must be one of {string.Join(", ", ChannelInviteSettings.All)}.");
        }

        return TypedResults.Ok(new MyPrivacy(await grains.Settings(http).SetChannelInvites(request.ChannelInvites!)));
    }

    private static async Task<Ok<BlockList>> GetBlocksAsync(HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(new BlockList(await grains.Settings(http).GetBlocks()));

    private static async Task<Ok<BlockedUser>> BlockAsync(string userId, HttpContext http, IGrainFactory grains) =>
        TypedResults.Ok(await grains.Settings(http).Block(Validate.Id(userId, "userId")));

    private static async Task<NoContent> UnblockAsync(string userId, HttpContext http, IGrainFactory grains)
    {
        await grains.Settings(http).Unblock(Validate.Id(userId, "userId"));
        return TypedResults.NoContent();
    }
}
