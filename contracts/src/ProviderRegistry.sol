// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title ProviderRegistry: on-chain identities of providers, validators and clients.
/// @notice Registration is self-service: a wallet declares what it is. Authority over money is not
///         granted here: staking decides whether a provider is active, and the contracts that move
///         funds hold their own roles. One wallet may hold several kinds at once.
contract ProviderRegistry {
    /// @dev Bit flags in Participant.kinds.
    enum Kind {
        Provider,
        Validator,
        Client
    }

    struct Participant {
        uint8 kinds;
        uint64 registeredAt;
        uint64 updatedAt;
        string metadataURI;
        bytes32[] regions;
    }

    /// @dev Bounds the gas of a registration and of readers that copy the list.
    uint256 public constant MAX_REGIONS = 32;
    uint256 public constant MAX_URI_LENGTH = 512;

    mapping(address account => Participant) private _participants;

    event Registered(address indexed account, Kind indexed kind, string metadataURI, bytes32[] regions);
    event Updated(address indexed account, string metadataURI, bytes32[] regions);
    event Deregistered(address indexed account, Kind indexed kind);

    error AlreadyRegistered(address account, Kind kind);
    error NotRegistered(address account, Kind kind);
    error EmptyMetadataURI();
    error MetadataURITooLong(uint256 length, uint256 max);
    error NoRegions();
    error TooManyRegions(uint256 count, uint256 max);
    error EmptyRegion(uint256 index);

    /// @notice Registers the caller as a provider serving `regions` (region names as bytes32, e.g. "eu-west").
    function registerProvider(string calldata metadataURI, bytes32[] calldata regions) external {
        _checkMetadata(metadataURI);
        _checkRegions(regions);
        Participant storage p = _register(Kind.Provider);
        p.metadataURI = metadataURI;
        p.regions = regions;
        emit Registered(msg.sender, Kind.Provider, metadataURI, regions);
    }

    function registerValidator(string calldata metadataURI) external {
        _checkMetadata(metadataURI);
        Participant storage p = _register(Kind.Validator);
        if (!_has(p, Kind.Provider)) p.metadataURI = metadataURI;
        emit Registered(msg.sender, Kind.Validator, metadataURI, new bytes32[](0));
    }

    function registerClient() external {
        _register(Kind.Client);
        emit Registered(msg.sender, Kind.Client, "", new bytes32[](0));
    }

    /// @notice Replaces a provider's metadata URI and region list.
    function updateProvider(string calldata metadataURI, bytes32[] calldata regions) external {
        Participant storage p = _participants[msg.sender];
        if (!_has(p, Kind.Provider)) revert NotRegistered(msg.sender, Kind.Provider);
        _checkMetadata(metadataURI);
        _checkRegions(regions);
        p.metadataURI = metadataURI;
        p.regions = regions;
        p.updatedAt = uint64(block.timestamp);
        emit Updated(msg.sender, metadataURI, regions);
    }

    /// @notice Drops one kind from the caller. Dropping the provider kind clears its regions.
    function deregister(Kind kind) external {
        Participant storage p = _participants[msg.sender];
        if (!_has(p, kind)) revert NotRegistered(msg.sender, kind);
        p.kinds &= ~uint8(1 << uint8(kind));
        p.updatedAt = uint64(block.timestamp);
        if (kind == Kind.Provider) delete p.regions;
        if (p.kinds == 0) delete _participants[msg.sender];
        emit Deregistered(msg.sender, kind);
    }

    function isProvider(address account) external view returns (bool) {
        return _has(_participants[account], Kind.Provider);
    }

    function isValidator(address account) external view returns (bool) {
        return _has(_participants[account], Kind.Validator);
    }

    function isClient(address account) external view returns (bool) {
        return _has(_participants[account], Kind.Client);
    }

    function participant(address account) external view returns (Participant memory) {
        return _participants[account];
    }

    function _register(Kind kind) private returns (Participant storage p) {
        p = _participants[msg.sender];
        if (_has(p, kind)) revert AlreadyRegistered(msg.sender, kind);
        if (p.kinds == 0) p.registeredAt = uint64(block.timestamp);
        p.kinds |= uint8(1 << uint8(kind));
        p.updatedAt = uint64(block.timestamp);
    }

    function _has(Participant storage p, Kind kind) private view returns (bool) {
        return p.kinds & uint8(1 << uint8(kind)) != 0;
    }

    function _checkMetadata(string calldata metadataURI) private pure {
        uint256 length = bytes(metadataURI).length;
        if (length == 0) revert EmptyMetadataURI();
        if (length > MAX_URI_LENGTH) revert MetadataURITooLong(length, MAX_URI_LENGTH);
    }

    function _checkRegions(bytes32[] calldata regions) private pure {
        if (regions.length == 0) revert NoRegions();
        if (regions.length > MAX_REGIONS) revert TooManyRegions(regions.length, MAX_REGIONS);
        for (uint256 i = 0; i < regions.length; ++i) {
            if (regions[i] == bytes32(0)) revert EmptyRegion(i);
        }
    }
}
