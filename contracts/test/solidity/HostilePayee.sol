// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @notice A contract wallet that acts through `execute` and, when a hooked token pays it, either
///         accepts, reverts, or tries once to reenter a target with a prepared call.
contract HostilePayee {
    enum Mode {
        Accept,
        Revert,
        Reenter
    }

    Mode public mode;
    address public target;
    bytes public reentryCall;
    bool public reentryAttempted;
    bool public reentrySucceeded;
    bytes public reentryError;

    error PayeeRefuses();

    function setMode(Mode mode_, address target_, bytes calldata call_) external {
        mode = mode_;
        target = target_;
        reentryCall = call_;
        reentryAttempted = false;
        reentrySucceeded = false;
        delete reentryError;
    }

    function execute(address to, bytes calldata data) external returns (bytes memory result) {
        bool ok;
        (ok, result) = to.call(data);
        if (!ok) {
            assembly {
                revert(add(result, 32), mload(result))
            }
        }
    }

    function onTokenReceived(address, uint256) external {
        _hook();
    }

    function onTokenSent(address, uint256) external {
        _hook();
    }

    function _hook() private {
        if (mode == Mode.Revert) revert PayeeRefuses();
        if (mode == Mode.Reenter && !reentryAttempted) {
            reentryAttempted = true;
            (bool ok, bytes memory err) = target.call(reentryCall);
            reentrySucceeded = ok;
            reentryError = err;
        }
    }
}
