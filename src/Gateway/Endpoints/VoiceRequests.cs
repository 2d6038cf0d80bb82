using System.Security.Claims;
using DmVoice.Gateway.Auth;
using DmVoice.Gateway.Contracts;

namespace DmVoice.Gateway.Endpoints;

/// <summary>The presence requests both kinds of room take, read the same way for DMs and channels.</summary>
internal static class VoiceRequests
{
    /// <summary>A join as the caller's token and the body say (422 for a bad device id or kind).</summary>
    public static JoinRequest Join(ClaimsPrincipal user, JoinVoiceRequest? request) => new(
        user.DisplayName(),
        request?.IsMuted ?? false,
        request?.IsVideoEnabled ?? false,
        Device(request?.DeviceId),
        DeviceKinds.Validate(request?.DeviceKind, "deviceKind"));

    public static string? Device(string? deviceId) => deviceId is null ? null : Validate.Id(deviceId, "deviceId");

    public static VoiceStatePatch Patch(UpdateVoiceStateRequest request)
    {
        var patch = new VoiceStatePatch(request.IsMuted, request.IsDeafened, request.IsVideoEnabled, request.IsScreenSharing);
        if (patch.IsEmpty)
        {
            throw DmVoiceException.Validation("Give at least one of isMuted, isDeafened, isVideoEnabled, isScreenSharing.");
        }

        return patch;
    }
}
