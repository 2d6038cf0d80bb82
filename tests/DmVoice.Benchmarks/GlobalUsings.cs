global using DmVoice.Abstractions;
